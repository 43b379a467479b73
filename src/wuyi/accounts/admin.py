from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from wuyi.accounts.models import AuditEvent, Grant, PurgedCount, User
from wuyi.people.masking import mask_record


class GrantInline(admin.TabularInline):
    model = Grant
    extra = 0
    raw_id_fields = ["node", "grid"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [GrantInline]
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("无疫"), {"fields": ("display_name", "phone")}))
    list_display = ["username", "display_name", "is_active", "is_staff"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "node", "grid"]
    list_filter = ["role"]
    raw_id_fields = ["user", "node", "grid"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    list_display = ["at", "actor_name", "action", "model", "object_pk", "object_repr", "path"]
    list_filter = ["action", "model"]
    search_fields = ["object_repr", "actor_name", "path"]
    show_full_result_count = False
    fields = [
        "at",
        "actor_id",
        "actor_name",
        "action",
        "model",
        "object_pk",
        "object_repr",
        "path",
        "district_code",
        "reason",
        "ip",
        "masked_before",
        "masked_after",
    ]
    readonly_fields = fields

    @admin.display(description=_("修改前"))
    def masked_before(self, obj: AuditEvent):
        return mask_record(obj.before)

    @admin.display(description=_("修改后"))
    def masked_after(self, obj: AuditEvent):
        return mask_record(obj.after)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PurgedCount)
class PurgedCountAdmin(admin.ModelAdmin):
    list_display = ["purged_at", "category", "day", "district_code", "label", "count"]
    list_filter = ["category"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

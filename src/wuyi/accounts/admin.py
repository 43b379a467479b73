from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from wuyi.accounts.models import Grant, User


class GrantInline(admin.TabularInline):
    model = Grant
    extra = 0
    raw_id_fields = ["node", "grid"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [GrantInline]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("无疫", {"fields": ("display_name", "phone")}))
    list_display = ["username", "display_name", "is_active", "is_staff"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "node", "grid"]
    list_filter = ["role"]
    raw_id_fields = ["user", "node", "grid"]

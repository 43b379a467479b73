"""wuyi's admin site: for superusers only, and every save or delete in it is audit logged.

Why superusers only: the admin shows every field of every model, and its lookups (raw id
pop-ups, autocomplete, inlines, filters) would each need scoping of their own. Field staff
work in wuyi's own pages, which go through ``scoping.scoped``; the admin is the operators'
tool. The permission matrix checks that no other account gets any admin page.

Every ``ModelAdmin`` registered on this site is wrapped in ``AuditedAdminMixin`` (by
``register``), so an app's ``admin.py`` needs nothing special to be audited.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from wuyi.accounts import audit
from wuyi.accounts.models import Action


class AuditedAdminMixin:
    """Records create/change/delete made in the admin, with before and after values."""

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk is not None:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = audit.snapshot(old) if old is not None else None
        super().save_model(request, obj, form, change)
        audit.record(
            Action.CHANGE if change else Action.CREATE,
            obj,
            request=request,
            before=before,
            after=audit.snapshot(obj),
            reason="管理后台",
        )

    def delete_model(self, request, obj):
        audit.record(
            Action.DELETE, obj, request=request, before=audit.snapshot(obj), reason="管理后台"
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit.record(
                Action.DELETE, obj, request=request, before=audit.snapshot(obj), reason="管理后台"
            )
        super().delete_queryset(request, queryset)


class WuyiAdminSite(admin.AdminSite):
    site_header = _("无疫 管理后台")
    site_title = _("无疫")
    index_title = _("数据管理")

    def has_permission(self, request) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)

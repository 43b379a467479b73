"""The admin app with wuyi's admin site (kept apart: app configs load before models)."""

from django.contrib.admin.apps import AdminConfig


class WuyiAdminConfig(AdminConfig):
    default_site = "wuyi.accounts.admin_site.WuyiAdminSite"

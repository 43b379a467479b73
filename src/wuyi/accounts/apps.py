from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "wuyi.accounts"
    label = "accounts"
    verbose_name = _("账号与权限")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from wuyi.accounts import audit, retention

        user_logged_in.connect(audit.on_login, dispatch_uid="wuyi_audit_login")
        retention.register_builtin()

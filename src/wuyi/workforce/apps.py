from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "wuyi.workforce"
    label = "workforce"
    verbose_name = _("工作力量")

    def ready(self) -> None:
        from wuyi.accounts.scoping import SCOPE_FIELDS

        # Staff are reached by the territory they serve; a grid grant covers the grid's staff.
        SCOPE_FIELDS["workforce.staff"] = ("path", "grid")

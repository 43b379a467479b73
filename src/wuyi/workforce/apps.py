from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "wuyi.workforce"
    label = "workforce"
    verbose_name = "工作力量"

    def ready(self) -> None:
        from wuyi.accounts.scoping import SCOPE_FIELDS

        # Staff are reached by the territory they serve; a grid grant covers the grid's staff.
        SCOPE_FIELDS["workforce.staff"] = ("path", "grid")

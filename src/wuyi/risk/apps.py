from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "wuyi.risk"
    label = "risk"
    verbose_name = "风险区"

    def ready(self) -> None:
        from wuyi.accounts.models import OFFICE_ROLES
        from wuyi.accounts.scoping import declare

        # Areas and decisions carry their node's path; the offices decide them, in their scope.
        declare("risk.riskarea", path="path", grid=None, roles=OFFICE_ROLES)
        declare("risk.decision", path="path", grid=None, roles=OFFICE_ROLES)

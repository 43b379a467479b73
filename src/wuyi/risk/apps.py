from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "wuyi.risk"
    label = "risk"
    verbose_name = "风险区"

    def ready(self) -> None:
        from wuyi.accounts.scoping import SCOPE_FIELDS

        # Areas and decisions carry their node's path: an office sees those under its grants.
        SCOPE_FIELDS["risk.riskarea"] = ("path", None)
        SCOPE_FIELDS["risk.decision"] = ("path", None)

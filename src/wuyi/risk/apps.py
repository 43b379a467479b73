from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class RiskConfig(AppConfig):
    name = "wuyi.risk"
    label = "risk"
    verbose_name = pgettext_lazy("plural", "风险区")

    def ready(self) -> None:
        from wuyi.accounts.models import OFFICE_ROLES
        from wuyi.accounts.scoping import declare

        # Areas and decisions carry their node's path; the offices decide them, in their scope.
        declare("risk.riskarea", path="path", grid=None, roles=OFFICE_ROLES)
        declare("risk.decision", path="path", grid=None, roles=OFFICE_ROLES)

        # High-risk areas get daily single-tube testing: on approval, on lowering, and by
        # the background job risk.daily_testing that makes each day's round.
        from wuyi.risk import daily_testing
        from wuyi.risk.effects import area_designated, area_lowered

        area_designated.connect(
            daily_testing.on_area_designated, dispatch_uid="risk_daily_testing_designated"
        )
        area_lowered.connect(
            daily_testing.on_area_lowered, dispatch_uid="risk_daily_testing_lowered"
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlConfig(AppConfig):
    name = "wuyi.control"
    label = "control"
    verbose_name = _("风险人员管控")

    def ready(self) -> None:
        from wuyi.accounts.scoping import SCOPE_FIELDS

        # Risk persons, their tasks and teams carry the household's path and grid.
        SCOPE_FIELDS["control.riskperson"] = ("path", "grid")
        SCOPE_FIELDS["control.task"] = ("path", "grid")
        SCOPE_FIELDS["control.fivetooneteam"] = ("path", "grid")
        SCOPE_FIELDS["control.transition"] = ("risk_person__path", "risk_person__grid")
        SCOPE_FIELDS["control.stage"] = ("risk_person__path", "risk_person__grid")

        from wuyi.control import receivers
        from wuyi.risk.effects import area_designated, area_lowered

        area_designated.connect(receivers.on_area_designated, dispatch_uid="control_designated")
        area_lowered.connect(receivers.on_area_lowered, dispatch_uid="control_lowered")

        # Positive pools are queued in the lab result's own transaction and taken in by
        # the job (or right after the commit for a small result).
        from wuyi.control import jobs, pools  # noqa: F401  (registers the job)
        from wuyi.testing.results import positive_pools_opened

        positive_pools_opened.connect(pools.on_positive_pools, dispatch_uid="control_pools")

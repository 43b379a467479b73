from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    name = "wuyi.coverage"
    label = "coverage"
    verbose_name = _("应检尽检")

    def ready(self) -> None:
        # The community tallies refresh themselves while a round runs (``wuyi work``).
        from wuyi.coverage import jobs  # noqa: F401  (registers the job)

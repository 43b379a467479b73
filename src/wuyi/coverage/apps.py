from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "wuyi.coverage"
    label = "coverage"
    verbose_name = "应检尽检"

    def ready(self) -> None:
        # The community tallies refresh themselves while a round runs (``wuyi work``).
        from wuyi.coverage import jobs  # noqa: F401  (registers the job)

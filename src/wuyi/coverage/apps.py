from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "wuyi.coverage"
    label = "coverage"
    verbose_name = "应检尽检"

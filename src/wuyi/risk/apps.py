from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "wuyi.risk"
    label = "risk"
    verbose_name = "风险区"

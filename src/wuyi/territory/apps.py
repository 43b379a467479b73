from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "wuyi.territory"
    label = "territory"
    verbose_name = "辖区"

from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "wuyi.control"
    label = "control"
    verbose_name = "风险人员管控"

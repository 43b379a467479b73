from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "wuyi.workforce"
    label = "workforce"
    verbose_name = "工作力量"

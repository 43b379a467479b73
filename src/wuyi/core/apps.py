from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "wuyi.core"
    label = "core"
    verbose_name = "基础"

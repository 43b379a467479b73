from django.apps import AppConfig


class CommandConfig(AppConfig):
    name = "wuyi.command"
    label = "command"
    verbose_name = "指挥部"

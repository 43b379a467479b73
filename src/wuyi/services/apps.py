from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "wuyi.services"
    label = "services"
    verbose_name = "民生服务"

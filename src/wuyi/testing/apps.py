from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "wuyi.testing"
    label = "testing"
    verbose_name = "核酸检测"

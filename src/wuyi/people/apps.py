from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "wuyi.people"
    label = "people"
    verbose_name = "居民"

from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class PeopleConfig(AppConfig):
    name = "wuyi.people"
    label = "people"
    verbose_name = pgettext_lazy("plural", "居民")

"""WSGI entry point for production servers."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuyi.settings")
application = get_wsgi_application()

# Load the URL configuration and the API now, in each worker as it starts, not on its
# first request: a sampling device's first batch must not wait a fifth of a second more.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018

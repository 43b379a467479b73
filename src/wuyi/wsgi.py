"""WSGI entry point for production servers (and ``runserver``, through ``WSGI_APPLICATION``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wuyi.settings")
django_application = get_wsgi_application()

# Load the URL configuration and the API now, in each worker as it starts, not on its
# first request: a sampling device's first batch must not wait a fifth of a second more.
from django.urls import get_resolver  # noqa: E402

from wuyi.testing.scan_endpoint import ScanEndpoint  # noqa: E402

get_resolver().url_patterns  # noqa: B018

# Device scans are answered in front of Django's handler (why: wuyi.testing.scan_endpoint).
application = ScanEndpoint(django_application)

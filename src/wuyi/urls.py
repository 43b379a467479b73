"""Every URL of wuyi. Each app keeps its own ``urls.py``; the permission tests enumerate them all."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from wuyi.api import api
from wuyi.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # gettext() for the pages' own scripts: the djangojs catalog in the chosen language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("territory/", include("wuyi.territory.urls")),
    path("control/", include("wuyi.control.urls")),
    path("testing/", include("wuyi.testing.urls")),
    path("accounts/", include("wuyi.accounts.urls")),
    path("lab/", include("wuyi.testing.lab_urls")),
    path("devices/", include("wuyi.testing.device_urls")),
    path("coverage/", include("wuyi.coverage.urls")),
    path("risk/", include("wuyi.risk.urls")),
]

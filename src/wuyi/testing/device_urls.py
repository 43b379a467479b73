from django.urls import path

from wuyi.testing import device_views as views

app_name = "devices"

urlpatterns = [
    path("", views.device_list, name="list"),
    path("issue/", views.issue, name="issue"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
]

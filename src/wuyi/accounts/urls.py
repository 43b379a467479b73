from django.urls import path

from wuyi.accounts import views

app_name = "accounts"

urlpatterns = [
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.<str:fmt>", views.audit_export, name="audit_export"),
    path(
        "reveal/<str:label>/<int:pk>/<str:field>/",
        views.reveal_value,
        name="reveal",
    ),
]

from django.urls import path

from wuyi.risk import views

app_name = "risk"

urlpatterns = [
    path("", views.public, name="public"),
    path("search/", views.public_search, name="search"),
    path("notices/<int:pk>/", views.notice_text, name="notice"),
]

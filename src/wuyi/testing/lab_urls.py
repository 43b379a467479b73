from django.urls import path

from wuyi.testing import lab_views as views

app_name = "lab"

urlpatterns = [
    path("", views.lab_home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("receive/", views.receive, name="receive"),
    path("enter/", views.hand_entry, name="enter"),
    path("template.csv", views.template_csv, name="template"),
    path("overdue/", views.overdue, name="overdue"),
    path("tubes/", views.tube, name="tube"),
    path("positives/", views.positives, name="positives"),
    path("pool-plan/", views.pool_plan, name="pool_plan"),
    path("rounds/<str:code>/", views.round_results_page, name="round"),
]

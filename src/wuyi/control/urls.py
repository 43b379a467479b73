from django.urls import path

from wuyi.control import views

app_name = "control"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("grid/", views.grid_today, name="grid"),
    path("tasks/<int:pk>/health-check/", views.health_check, name="health_check"),
    path("releases/", views.releases, name="releases"),
    path("overdue/", views.overdue_list, name="overdue"),
    path("households/<int:pk>/team/", views.team, name="team"),
    path("my-tasks/", views.my_tasks, name="my_tasks"),
]

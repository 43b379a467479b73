from django.urls import path

from wuyi.territory import views

app_name = "territory"

urlpatterns = [
    path("grids/", views.my_grids, name="my_grids"),
    path("grids/<str:code>/", views.grid_detail, name="grid"),
    path("nodes/<int:pk>/", views.node_detail, name="node"),
]

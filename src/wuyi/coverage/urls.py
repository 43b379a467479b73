from django.urls import path

from wuyi.coverage import views

app_name = "coverage"

urlpatterns = [
    path("", views.index, name="index"),
    path("door/<str:token>/", views.door, name="door"),
    path("<str:round_code>/nodes/<int:pk>/", views.node_view, name="node"),
    path("<str:round_code>/grids/<str:code>/", views.grid_view, name="grid"),
    path("<str:round_code>/households/<int:pk>/", views.household_view, name="household"),
    path("<str:round_code>/households/<int:pk>/knock/", views.knock, name="knock"),
    path("<str:round_code>/households/<int:pk>/note/", views.note, name="note"),
    path("<str:round_code>/households/<int:pk>/exempt/", views.exempt, name="exempt"),
    path("<str:round_code>/missed/grids/<str:code>/", views.missed_grid, name="missed_grid"),
    path("<str:round_code>/missed/nodes/<int:pk>/", views.missed_node, name="missed_node"),
    path("<str:round_code>/compounds/<int:pk>/", views.compound_picture, name="compound"),
    path("<str:round_code>/charts/<int:pk>/", views.chart, name="chart"),
    path("<str:round_code>/close/<int:pk>/", views.close_view, name="close"),
    path("<str:round_code>/home-sampling/", views.home_sampling_list, name="home_sampling"),
    path(
        "<str:round_code>/home-sampling/<int:pk>/",
        views.home_sampling_close,
        name="home_sampling_close",
    ),
]

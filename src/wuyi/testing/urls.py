from django.urls import path

from wuyi.testing import views

app_name = "testing"

urlpatterns = [
    path("sampling/", views.sampling_page, name="sampling"),
    path("sampling/scans", views.sampling_scans, name="sampling_scans"),
    path("residents/<int:pk>/code", views.resident_code, name="resident_code"),
    path("households/<int:pk>/card", views.household_card, name="household_card"),
    path("rounds/<str:code>/follow-up", views.follow_up, name="follow_up"),
]

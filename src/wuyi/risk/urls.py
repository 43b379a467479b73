from django.urls import path

from wuyi.risk import office_views, views

app_name = "risk"

urlpatterns = [
    path("", views.public, name="public"),
    path("search/", views.public_search, name="search"),
    path("notices/<int:pk>/", views.notice_text, name="notice"),
    path("office/", office_views.office, name="office"),
    path("office/decisions/<int:pk>/approve/", office_views.approve, name="approve"),
    path("office/decisions/<int:pk>/reject/", office_views.reject, name="reject"),
    path("office/designate/", office_views.designate, name="designate"),
    path("office/draft/", office_views.draft, name="draft"),
    path("office/notices/<int:pk>/publish/", office_views.publish_notice, name="publish"),
]

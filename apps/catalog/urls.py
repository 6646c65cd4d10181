from django.urls import path

from apps.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.sports, name="sports"),
    path("events/<int:event_id>/", views.event, name="event"),
    path("events/<int:event_id>/markets", views.event_markets, name="event-markets"),
]

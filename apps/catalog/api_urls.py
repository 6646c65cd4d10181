"""The catalog's routes in the brand's API (``/api/v1/``), included by the brand URL map."""

from django.urls import path

from apps.catalog import rest

urlpatterns = [
    path("sports", rest.SportsView.as_view(), name="sports"),
    path("competitions", rest.CompetitionsView.as_view(), name="competitions"),
    path("events", rest.EventsView.as_view(), name="events"),
    path("events/<int:event_id>", rest.EventView.as_view(), name="event"),
]

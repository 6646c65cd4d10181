from django.urls import path

from apps.catalog.consumers import EventOddsConsumer

websocket_urlpatterns = [path("ws/events/<int:event_id>/", EventOddsConsumer.as_asgi())]

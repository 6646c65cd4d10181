from django.urls import path

from apps.realtime.consumers import PlayerConsumer

websocket_urlpatterns = [path("ws/player/", PlayerConsumer.as_asgi())]

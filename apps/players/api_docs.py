"""What the players' API answers, described for the API's schema (``/api/schema/``)."""

from rest_framework import serializers


class PlayerOut(serializers.Serializer):
    id = serializers.CharField(help_text="the player's id (digits)")
    username = serializers.CharField()
    email = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    date_joined = serializers.DateTimeField()


class SessionOut(serializers.Serializer):
    authenticated = serializers.BooleanField()
    player = PlayerOut(allow_null=True)

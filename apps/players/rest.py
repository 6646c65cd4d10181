"""The players' public API: register, log in and out, read and change the profile and the
password."""

from __future__ import annotations

from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import ApiError
from apps.brands.selectors import BrandRef
from apps.players.api_docs import PlayerOut, SessionOut
from apps.players.services import (
    PlayerError,
    PlayerRef,
    player_authenticate,
    player_password_change,
    player_register,
    player_update_profile,
)
from apps.players.sessions import session_login, session_logout
from betting.client_address import client_address

_STATUS = {
    "username_taken": status.HTTP_409_CONFLICT,
    "wrong_password": status.HTTP_400_BAD_REQUEST,
    "unknown_player": status.HTTP_404_NOT_FOUND,
    "too_many_attempts": status.HTTP_429_TOO_MANY_REQUESTS,
}


def _brand(request: Request) -> BrandRef:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_platform:
        raise Http404("the API is served on brand domains")
    return BrandRef.of(tenant)


def logged_in_player(request: Request) -> PlayerRef:
    """The player of an API request on a brand domain (404 on the platform's domain, 401
    without one): every app's API views for the logged-in player start here."""
    _brand(request)
    if request.user is None:
        raise ApiError("not_authenticated", http_status=401)
    return request.user


def _player_json(player: PlayerRef) -> dict:
    return {
        "id": str(player.id),
        "username": player.username,
        "email": player.email,
        "display_name": player.display_name,
        "date_joined": player.date_joined.isoformat(),
    }


def _raise(exc: PlayerError) -> None:
    raise ApiError(
        exc.code,
        str(exc),
        http_status=_STATUS.get(exc.code, 400),
        field=exc.field,
        retry_after=exc.retry_after,
    ) from exc


class RegisterInput(serializers.Serializer):
    username = serializers.CharField(max_length=100)
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True)


class LoginInput(serializers.Serializer):
    username = serializers.CharField(max_length=100)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class ProfileInput(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False)
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    # Needed when the e-mail address changes.
    current_password = serializers.CharField(max_length=128, required=False, trim_whitespace=False)


class PasswordInput(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


def _errors(**described: str) -> dict:
    """Error answers of an operation, for the schema (the shape is ``apps.api.errors``')."""
    return {
        int(status[1:]): OpenApiResponse(description=text) for status, text in described.items()
    }


class PlayersView(APIView):
    @extend_schema(
        summary="Register a player (and log them in)",
        request=RegisterInput,
        responses={201: PlayerOut, **_errors(s409="`username_taken`")},
    )
    def post(self, request: Request) -> Response:
        brand = _brand(request)
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            player = player_register(
                brand=brand, address=client_address(request), **data.validated_data
            )
        except PlayerError as exc:
            _raise(exc)
        session_login(request._request, player)
        return Response(_player_json(player), status=status.HTTP_201_CREATED)


class SessionView(APIView):
    @extend_schema(summary="Who is logged in; sets the CSRF cookie", responses={200: SessionOut})
    @method_decorator(ensure_csrf_cookie)
    def get(self, request: Request) -> Response:
        """Whether a player is logged in; sets the CSRF cookie that unsafe requests need."""
        _brand(request)
        player = request.user
        return Response(
            {
                "authenticated": player is not None,
                "player": _player_json(player) if player else None,
            }
        )

    @extend_schema(
        summary="Log in",
        request=LoginInput,
        responses={200: PlayerOut, **_errors(s401="`invalid_credentials`")},
    )
    def post(self, request: Request) -> Response:
        brand = _brand(request)
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            player = player_authenticate(
                brand=brand, address=client_address(request), **data.validated_data
            )
        except PlayerError as exc:
            _raise(exc)
        if player is None:
            raise ApiError("invalid_credentials", "wrong username or password", http_status=401)
        session_login(request._request, player)
        return Response(_player_json(player))

    @extend_schema(summary="Log out", responses={204: None})
    def delete(self, request: Request) -> Response:
        _brand(request)
        session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(summary="The logged-in player's profile", responses={200: PlayerOut})
    def get(self, request: Request) -> Response:
        return Response(_player_json(logged_in_player(request)))

    @extend_schema(
        summary="Change the profile (the e-mail address needs the current password)",
        request=ProfileInput,
        responses={200: PlayerOut},
    )
    def patch(self, request: Request) -> Response:
        player = logged_in_player(request)
        data = ProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            updated = player_update_profile(
                brand_id=player.brand_id,
                player_id=player.id,
                address=client_address(request),
                keep_session=request.session.session_key,
                **data.validated_data,
            )
        except PlayerError as exc:
            _raise(exc)
        return Response(_player_json(updated))


class PasswordView(APIView):
    @extend_schema(summary="Change the password", request=PasswordInput, responses={200: PlayerOut})
    def post(self, request: Request) -> Response:
        """A new password, given the current one; the player's other sessions end."""
        player = logged_in_player(request)
        data = PasswordInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            updated = player_password_change(
                brand_id=player.brand_id,
                player_id=player.id,
                address=client_address(request),
                keep_session=request.session.session_key,
                **data.validated_data,
            )
        except PlayerError as exc:
            _raise(exc)
        return Response(_player_json(updated))

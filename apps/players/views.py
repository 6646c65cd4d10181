"""The brand site's account pages: register, log in, log out, profile."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.brands.selectors import BrandRef
from apps.players.forms import LoginForm, ProfileForm, RegisterForm
from apps.players.services import (
    PlayerError,
    player_authenticate,
    player_register,
    player_update_profile,
)
from apps.players.sessions import session_login, session_logout


def _brand(request: HttpRequest) -> BrandRef:
    if request.tenant.is_platform:
        raise Http404
    return BrandRef.of(request.tenant)


def register(request: HttpRequest) -> HttpResponse:
    brand = _brand(request)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            player = player_register(brand=brand, **form.cleaned_data)
        except PlayerError as exc:
            form.add_error(exc.field, str(exc))
        else:
            session_login(request, player)
            return redirect("site:home")
    status = 400 if request.method == "POST" else 200
    return render(request, "players/register.html", {"form": form}, status=status)


def login(request: HttpRequest) -> HttpResponse:
    brand = _brand(request)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            player = player_authenticate(brand=brand, **form.cleaned_data)
        except PlayerError as exc:
            form.add_error(None, str(exc))
            return render(request, "players/login.html", {"form": form}, status=429)
        if player is not None:
            session_login(request, player)
            return redirect("site:home")
        form.add_error(None, "Wrong username or password.")
    status = 400 if request.method == "POST" else 200
    return render(request, "players/login.html", {"form": form}, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    _brand(request)
    session_logout(request)
    return redirect("site:home")


def profile(request: HttpRequest) -> HttpResponse:
    _brand(request)
    player = request.get_player()
    if player is None:
        return redirect("players:login")
    initial = {"display_name": player.display_name, "email": player.email}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            player = player_update_profile(
                brand_id=player.brand_id, player_id=player.id, **form.cleaned_data
            )
        except PlayerError as exc:
            form.add_error(exc.field, str(exc))
        else:
            return redirect("players:profile")
    return render(request, "players/profile.html", {"form": form, "profile": player})

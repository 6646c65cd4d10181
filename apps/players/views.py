"""The brand site's account pages: register, log in, log out, profile, password, and the
password reset by e-mail."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.brands.selectors import BrandRef
from apps.players import password_reset as reset
from apps.players.forms import (
    LoginForm,
    PasswordForm,
    PasswordResetForm,
    PasswordResetSetForm,
    ProfileForm,
    RegisterForm,
)
from apps.players.services import (
    PlayerError,
    player_authenticate,
    player_password_change,
    player_register,
    player_update_profile,
)
from apps.players.sessions import session_login, session_logout
from betting.client_address import client_address


def _brand(request: HttpRequest) -> BrandRef:
    if request.tenant.is_platform:
        raise Http404
    return BrandRef.of(request.tenant)


def _throttled(
    request: HttpRequest, template: str, form, exc: PlayerError, context: dict | None = None
) -> HttpResponse:
    form.add_error(None, str(exc))
    response = render(request, template, {"form": form, **(context or {})}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _next_page(request: HttpRequest) -> HttpResponse:
    """Back to the page that sent the visitor to log in or register (``?next=``, a path of this
    site only: another host or scheme is refused, for the start page)."""
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("site:home")


def register(request: HttpRequest) -> HttpResponse:
    brand = _brand(request)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            player = player_register(
                brand=brand, address=client_address(request), **form.cleaned_data
            )
        except PlayerError as exc:
            if exc.retry_after is not None:
                return _throttled(request, "players/register.html", form, exc)
            form.add_error(exc.field, str(exc))
        else:
            session_login(request, player)
            return _next_page(request)
    status = 400 if request.method == "POST" else 200
    return render(request, "players/register.html", {"form": form}, status=status)


def login(request: HttpRequest) -> HttpResponse:
    brand = _brand(request)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            player = player_authenticate(
                brand=brand, address=client_address(request), **form.cleaned_data
            )
        except PlayerError as exc:
            return _throttled(request, "players/login.html", form, exc)
        if player is not None:
            session_login(request, player)
            return _next_page(request)
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
    return _account_change(
        request, player, form, player_update_profile, "players/profile.html", {"profile": player}
    )


def password(request: HttpRequest) -> HttpResponse:
    """A new password, given the current one; the player's other sessions end."""
    _brand(request)
    player = request.get_player()
    if player is None:
        return redirect("players:login")
    form = PasswordForm(request.POST or None)
    return _account_change(request, player, form, player_password_change, "players/password.html")


def _account_change(
    request: HttpRequest, player, form, change, template: str, context: dict | None = None
) -> HttpResponse:
    """A change to the logged-in player's account (profile, password): ``change`` is the
    service, given the form's fields, the client's address (its checks of the current password
    are throttled) and the session to keep (the player's others end)."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                change(
                    brand_id=player.brand_id,
                    player_id=player.id,
                    address=client_address(request),
                    keep_session=request.session.session_key,
                    **form.cleaned_data,
                )
            except PlayerError as exc:
                if exc.retry_after is not None:
                    return _throttled(request, template, form, exc, context)
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                return redirect("players:profile")
    return render(request, template, {"form": form, **(context or {})}, status=status)


def password_reset(request: HttpRequest) -> HttpResponse:
    """ "Forgot your password?": the e-mail address of the account; the same answer whether or
    not an account has it (``password_reset_sent``)."""
    brand = _brand(request)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        link = reverse("players:password_reset_link", args=["u", "t"])
        link_prefix = request.build_absolute_uri(link.removesuffix("u/t/"))
        try:
            reset.password_reset_request(
                brand=brand,
                email=form.cleaned_data["email"],
                address=client_address(request),
                link_prefix=link_prefix,
                site_name=request.tenant.name,
            )
        except PlayerError as exc:
            return _throttled(request, "players/password_reset.html", form, exc)
        return redirect("players:password_reset_sent")
    status = 400 if request.method == "POST" else 200
    return render(request, "players/password_reset.html", {"form": form}, status=status)


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    _brand(request)
    return render(request, "players/password_reset_sent.html")


RESET_SESSION_KEY = "password_reset_token"


def password_reset_link(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    """The e-mail's link: the token moves into the session and the page reloads without it, so
    the token does not leak to other sites in a Referer header (as Django's own reset does)."""
    _brand(request)
    request.session[RESET_SESSION_KEY] = token
    return redirect("players:password_reset_set", uid=uid)


def password_reset_set(request: HttpRequest, uid: str) -> HttpResponse:
    """A new password, twice, if the link still holds; every session of the player ends."""
    brand = _brand(request)
    token = request.session.get(RESET_SESSION_KEY, "")
    if reset.password_reset_check(brand_id=brand.id, uid=uid, token=token) is None:
        return render(request, "players/password_reset_invalid.html", status=400)
    form = PasswordResetSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reset.password_reset_confirm(
                brand_id=brand.id,
                uid=uid,
                token=token,
                new_password=form.cleaned_data["new_password"],
                address=client_address(request),
            )
        except PlayerError as exc:
            if exc.retry_after is not None:
                return _throttled(request, "players/password_reset_set.html", form, exc)
            if exc.code == "invalid_link":
                return render(request, "players/password_reset_invalid.html", status=400)
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            request.session.pop(RESET_SESSION_KEY, None)
            return render(request, "players/password_reset_done.html")
    status = 400 if request.method == "POST" else 200
    return render(request, "players/password_reset_set.html", {"form": form}, status=status)

"""The bets API for the logged-in player: place a slip, list my bets, cash out."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.body import BIGINT_MAX, ascii_decimal, ascii_integer
from apps.api.errors import ERROR_CODES, ApiError, error_body
from apps.api.fields import AsciiIntegerField
from apps.api.plain import PlainError, check_csrf, json_body, json_response
from apps.api.throttle import rate_wait
from apps.bets import cashout, placement, selectors
from apps.bets.api_docs import BetOut, BetsOut, CashOutOfferOut, CashOutOut, SlipIn
from apps.bets.bet_cards import BetCard, bet_cards
from apps.bets.lines import LegRequest
from apps.bets.models import Bet
from apps.bets.refusals import BetRefused
from apps.players.rest import logged_in_player
from apps.players.sessions import session_player
from shards import map as shard_map

REFUSAL_STATUS = {
    "idempotency_key_reused": 409,
    "insufficient_funds": 402,
    "unknown_bet": 404,
    "account_closed": 403,
}


KINDS = ("single", "multiple", "system")
POLICIES = ("any", "higher", "none")
MAX_STAKE = 10**12


class SlipInvalid(PlainError):
    def __init__(self, fields: dict) -> None:
        super().__init__("invalid_request", None, 400, {"fields": fields})


def parse_slip(data: object) -> placement.Slip:
    """The slip of ``POST /api/v1/bets`` (JSON), or SlipInvalid naming each bad field (the
    API's ``invalid_request``). The hottest request of the platform, so parsed by hand rather
    than by a serializer (which deep-copies its fields on every request):

    - ``idempotency_key``: 1-100 characters, one per slip (the same slip again is the same bet);
    - ``kind``: single, multiple or system; ``system``: for system bets, the name (doubles,
      trebles, yankee, ...);
    - ``stake``: per line, in the brand currency's minor units (cents for EUR, yen for JPY,
      fils for KWD), 1 to 10^12; a JSON integer or a string of ASCII digits;
    - ``odds_policy``: any, higher or none (the default): which odds changes the player accepts;
    - ``legs``: 1 or more of ``{"market": line id, "outcome": outcome id, "odds": "2.10"}``, the
      odds the player saw (ASCII digits and a point).

    The body itself was read by ``apps.api.body`` (no control characters in any string).
    """
    if not isinstance(data, dict):
        raise SlipInvalid({"non_field_errors": ["send a JSON object"]})
    errors: dict[str, object] = {}
    key = _text(data, "idempotency_key", 100, errors)
    kind = _choice(data, "kind", KINDS, None, errors)
    system = _text(data, "system", 20, errors, required=False)
    stake = _integer(data.get("stake"), 1, MAX_STAKE, "stake", errors)
    policy = _choice(data, "odds_policy", POLICIES, "none", errors)
    raw_legs, legs = data.get("legs"), []
    if not isinstance(raw_legs, list) or not raw_legs:
        errors["legs"] = ["a non-empty list of legs is required"]
    else:
        leg_errors: list[dict] = []
        for raw in raw_legs:
            mine: dict[str, object] = {}
            if not isinstance(raw, dict):
                leg_errors.append({"non_field_errors": ["a leg is an object"]})
                continue
            market = _integer(raw.get("market"), 1, BIGINT_MAX, "market", mine)
            outcome = _text(raw, "outcome", 60, mine)
            odds = _text(raw, "odds", 20, mine, numbers=True)
            if "odds" not in mine and not ascii_decimal(odds):
                mine["odds"] = ["a decimal number such as 2.10 (ASCII digits)"]
            leg_errors.append(mine)
            if not mine:
                legs.append((market, outcome, odds))
        if any(leg_errors):
            errors["legs"] = leg_errors
    if errors:
        raise SlipInvalid(errors)
    return placement.Slip(
        key=key,
        kind=kind,
        system=system,
        unit_stake=stake,
        odds_policy=policy,
        legs=tuple(
            LegRequest(market=market, outcome=outcome, odds=placement.parse_odds(odds))
            for market, outcome, odds in legs
        ),
    )


def _text(
    data: dict,
    name: str,
    longest: int,
    errors: dict,
    *,
    required: bool = True,
    numbers: bool = False,
) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        errors[name] = ["this field is required (a string)"]
        return ""
    value = value.strip()
    if len(value) > longest:
        errors[name] = [f"at most {longest} characters"]
    return value


def _choice(
    data: dict, name: str, choices: tuple[str, ...], default: str | None, errors: dict
) -> str:
    value = data.get(name, default)
    if value not in choices:
        errors[name] = [f"one of {', '.join(choices)}"]
        return ""
    return value


def _integer(value: object, low: int, high: int, name: str, errors: dict) -> int:
    number = ascii_integer(value, low=low, high=high)
    if number is None:
        errors[name] = [f"an integer from {low} to {high} (ASCII digits)"]
        return 0
    return number


def bet_json(bet: Bet, legs=None, cash_out: int | None = None, card: BetCard | None = None) -> dict:
    """A bet as the API answers it (amounts in minor units); with its ``card``, the names of
    its legs' events, markets and outcomes, each leg's result and return factor, and the bet's
    status in words."""
    legs = legs if legs is not None else list(bet.legs.all().order_by("position"))
    body = {
        "cash_out_offer": cash_out,
        "id": str(bet.id),
        "status": bet.status,
        "refusal": bet.refusal or None,
        "kind": bet.kind,
        "system": bet.system or None,
        "lines": bet.lines,
        "unit_stake": bet.unit_stake,
        "stake": bet.stake,
        "currency": bet.currency,
        "potential_payout": bet.potential_payout,
        "payout": bet.payout,
        "live": bet.live,
        "placed_at": bet.placed_at.isoformat() if bet.placed_at else None,
        "settled_at": bet.settled_at.isoformat() if bet.settled_at else None,
        "legs": [
            {
                "event": str(leg.event_id),
                "market": str(leg.market),
                "market_id": leg.market_id,
                "specifiers": leg.specifiers,
                "outcome": leg.outcome_id,
                "odds": str(leg.odds),
                "status": leg.status,
            }
            for leg in legs
        ],
    }
    if card is not None:
        body["title"] = card.title
        body["status_words"] = card.status_words
        for shown, named in zip(body["legs"], card.legs, strict=True):
            shown.update(
                event_name=named.event,
                market_name=named.market,
                outcome_name=named.outcome,
                result_words=named.result_words,
                void_factor=None if named.leg_void is None else str(named.leg_void),
                dead_heat_factor=None if named.leg_dead_heat is None else str(named.leg_dead_heat),
                factor=named.factor or None,
            )
    return body


class CashOutIn(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=100)
    offer = AsciiIntegerField(min_value=1, help_text="the offer the player saw")
    tolerance = AsciiIntegerField(min_value=0, default=0)
    amount = AsciiIntegerField(min_value=1, required=False, help_text="partial: this much")


def _refusal_body(exc: BetRefused, currency: str | None = None) -> dict:
    """A refusal in the API's error shape: the code's sentence for players (``ERROR_CODES``),
    and ``details``: the refused leg's position and selection, the odds now, a limit in minor
    units and as ``limit`` in the major unit of ``currency`` (``BetRefused.details``)."""
    message = None if exc.code in ERROR_CODES else str(exc)
    return error_body(exc.code, message, exc.details(currency=currency))


def _refusal(exc: BetRefused, currency: str | None = None) -> Response:
    return Response(_refusal_body(exc, currency), status=REFUSAL_STATUS.get(exc.code, 422))


_REFUSED = OpenApiResponse(description="A refusal; its code and figures in the error's details")


@extend_schema(parameters=[OpenApiParameter("bet_id", int, OpenApiParameter.PATH)])
class CashOutView(APIView):
    @extend_schema(
        summary="The bet's cash-out offer now (minor units)",
        responses={200: CashOutOfferOut, 422: _REFUSED},
    )
    def get(self, request: Request, bet_id: int) -> Response:
        player = logged_in_player(request)
        try:
            offer = cashout.cash_out_offer(player_id=player.id, bet_id=bet_id)
        except BetRefused as exc:
            return _refusal(exc, request.tenant.currency)
        return Response({"bet": str(bet_id), "offer": offer.offer})

    @extend_schema(
        summary="Cash out the bet, whole or in part",
        request=CashOutIn,
        responses={200: CashOutOut, 202: CashOutOut, 422: _REFUSED},
    )
    def post(self, request: Request, bet_id: int) -> Response:
        player = logged_in_player(request)
        data = CashOutIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            done = cashout.bet_cash_out(
                player_id=player.id,
                bet_id=bet_id,
                key=v["idempotency_key"],
                seen_offer=v["offer"],
                tolerance=v["tolerance"],
                amount=v.get("amount"),
            )
        except BetRefused as exc:
            return _refusal(exc, request.tenant.currency)
        if done.status == "refused":  # this key's cash-out, refused after its in-play delay
            return _refusal(BetRefused(done.refusal, "the cash-out was refused after its delay"))
        body = {"bet": str(bet_id), "cash_out": str(done.id), "status": done.status}
        if done.status == "pending":  # decided after the in-play delay, pushed to the socket
            return Response(body, status=202)
        return Response({**body, "paid": done.amount, "unit_stake_after": done.unit_stake_after})


class BetsView(APIView):
    """``GET /api/v1/bets``: my bets, newest first, with names (``POST`` is ``place_bet``, a
    plain view). ``status``: open (the default) or settled; ``page`` from 1; ``limit`` 1-100
    (20). The answer says the next page's number, or null at the end."""

    @extend_schema(
        operation_id="bets_list",
        summary="My bets, open or settled",
        parameters=[
            OpenApiParameter("status", str, enum=list(selectors.LISTS)),
            OpenApiParameter("page", int, description=f"from 1 to {selectors.MAX_PAGES}"),
            OpenApiParameter("limit", int, description="bets a page, 1 to 100 (20)"),
        ],
        responses={200: BetsOut},
    )
    def get(self, request: Request) -> Response:
        player = logged_in_player(request)
        which = request.query_params.get("status", "open")
        if which not in selectors.LISTS:
            raise ApiError("invalid_request", "status is open or settled", field="status")
        page = ascii_integer(request.query_params.get("page", "1"), low=1, high=selectors.MAX_PAGES)
        if page is None:
            raise ApiError(
                "invalid_request", f"page is from 1 to {selectors.MAX_PAGES}", field="page"
            )
        limit = ascii_integer(request.query_params.get("limit", "20"), low=1, high=100)
        if limit is None:
            raise ApiError("invalid_request", "limit is from 1 to 100", field="limit")
        found = selectors.player_bets_page(
            player_id=player.id, which=which, page=page, per_page=limit
        )
        offers = (
            cashout.cash_out_offers(bets=found.bets, using=shard_map.alias_for(player.id))
            if which == "open" and found.bets
            else {}
        )
        cards = bet_cards(found.bets, offers=offers)
        return Response(
            {
                "bets": [
                    bet_json(bet, legs, offers.get(bet.id), card)
                    for (bet, legs), card in zip(found.bets, cards, strict=True)
                ],
                "page": page,
                "next_page": page + 1 if found.has_more else None,
            }
        )

    @extend_schema(
        summary="Place a slip: a single, a multiple or a system bet",
        request=SlipIn,
        responses={
            200: OpenApiResponse(BetOut, description="the slip was sent before: its bet"),
            201: BetOut,
            402: _REFUSED,
            409: _REFUSED,
            422: _REFUSED,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        """Served by ``place_bet`` (the route sends it there without DRF's machinery)."""
        return place_bet(request._request)


@extend_schema(parameters=[OpenApiParameter("bet_id", int, OpenApiParameter.PATH)])
class BetView(APIView):
    """``GET /api/v1/bets/<id>``: one of my bets, with names and its cash-out offer (a bet of
    anyone else is ``404 not_found``)."""

    @extend_schema(
        operation_id="bets_retrieve",
        summary="One of my bets, with names",
        responses={200: BetOut, 404: OpenApiResponse(description="not the player's bet")},
    )
    def get(self, request: Request, bet_id: int) -> Response:
        player = logged_in_player(request)
        found = selectors.player_bet(player_id=player.id, bet_id=bet_id)
        if found is None:
            raise ApiError("not_found", "no such bet", http_status=404)
        bet, legs = found
        offers = (
            cashout.cash_out_offers(bets=[found], using=shard_map.alias_for(player.id))
            if bet.status == "open"
            else {}
        )
        (card,) = bet_cards([found], offers=offers)
        return Response(bet_json(bet, legs, offers.get(bet.id), card))


_list_bets = BetsView.as_view()


@csrf_exempt  # check_csrf applies Django's CSRF check itself, answering in the API's error shape
def bets(request: HttpRequest) -> HttpResponse:
    """``/api/v1/bets``: ``POST`` places a slip (``place_bet``), anything else is ``BetsView``."""
    if request.method == "POST":
        return place_bet(request)
    return _list_bets(request)


# The schema generator reads the route's view from here (the route itself is this function).
bets.cls = BetsView
bets.initkwargs = {}


def place_bet(request: HttpRequest) -> HttpResponse:
    """``POST /api/v1/bets``: the platform's hottest request, a plain Django view (see
    ``apps.api.plain``) with the DRF views' contract: 201 and the bet; 200 and the earlier bet
    for a slip sent again under its key; 400 ``invalid_request`` naming each bad field; 401
    without a session; 403 without a CSRF token; a refusal's own status and code otherwise.

    The player is who the session says (no database read): placing locks and checks their row
    in the bet's own transaction, so a closed account is refused there (``account_closed``)."""
    tenant = getattr(request, "tenant", None)
    try:
        if tenant is None or tenant.is_platform:
            raise PlainError("not_found", "bets are placed on brand domains", 404)
        check_csrf(request)
        player = session_player(request.session, tenant.pk)
        wait = rate_wait(request, player.id if player is not None else None)
        if wait is not None:
            raise PlainError("throttled", None, 429, {"retry_after": wait})
        if player is None:
            raise PlainError("not_authenticated", None, 401)
        slip = parse_slip(json_body(request))
        placed = placement.bet_place(
            brand_id=player.brand_id, player_id=player.id, currency=tenant.currency, slip=slip
        )
    except PlainError as exc:
        return exc.response()
    except BetRefused as exc:
        return json_response(_refusal_body(exc, tenant.currency), REFUSAL_STATUS.get(exc.code, 422))
    return json_response(bet_json(placed.bet, placed.legs), 200 if placed.replayed else 201)

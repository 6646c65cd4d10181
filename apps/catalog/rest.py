"""The catalog's public API: sports, competitions, events and an event's markets, as the brand
offers and prices them. Open to anyone (no login), on the brand's own domains."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.fields import AsciiIntegerField
from apps.catalog import listing
from apps.catalog.models import Event, Tournament


def _brand_id(request: Request) -> int:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_platform:
        raise Http404("the API is served on brand domains")
    return tenant.pk


class CatalogView(APIView):
    """Anyone may read the catalog: no session is read (nothing depends on who asks) and
    nothing unsafe is taken; limited per client address."""

    authentication_classes: list = []
    permission_classes: list = []


# -- query parameters ------------------------------------------------------------------------


class _Strict(serializers.Serializer):
    """Query parameters: unknown ones are refused, so a typo is not a silent no-op."""

    def validate(self, attrs: dict) -> dict:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {name: ["unknown parameter"] for name in sorted(unknown)}
            )
        return attrs


class PageQuery(_Strict):
    limit = AsciiIntegerField(
        required=False, min_value=1, max_value=listing.MAX_PAGE, default=listing.DEFAULT_PAGE
    )
    offset = AsciiIntegerField(required=False, min_value=0, max_value=listing.MAX_OFFSET, default=0)


class CompetitionsQuery(PageQuery):
    sport = AsciiIntegerField(required=False, min_value=1, help_text="a sport's id")


class EventsQuery(PageQuery):
    sport = AsciiIntegerField(required=False, min_value=1, help_text="a sport's id")
    competition = AsciiIntegerField(required=False, min_value=1, help_text="a competition's id")
    live = serializers.BooleanField(
        required=False, default=None, allow_null=True, help_text="true: in play only"
    )
    upcoming = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        help_text="true: not started yet; false: started",
    )
    starts_after = serializers.DateTimeField(
        required=False, help_text="start time at or after (ISO 8601)"
    )
    starts_before = serializers.DateTimeField(
        required=False, help_text="start time before (ISO 8601)"
    )


# -- answers ---------------------------------------------------------------------------------


class SportOut(serializers.Serializer):
    id = serializers.IntegerField()
    urn = serializers.CharField()
    name = serializers.CharField()


class SportsOut(serializers.Serializer):
    sports = SportOut(many=True)


class CompetitionOut(serializers.Serializer):
    id = serializers.IntegerField()
    urn = serializers.CharField()
    name = serializers.CharField()
    sport = serializers.IntegerField(help_text="the sport's id")
    category = serializers.CharField(help_text="the country or category")


class CompetitionsOut(serializers.Serializer):
    competitions = CompetitionOut(many=True)
    next_offset = serializers.IntegerField(
        allow_null=True, help_text="the offset of the next page; null on the last page"
    )


class NamedRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ScoreOut(serializers.Serializer):
    home = serializers.IntegerField(allow_null=True)
    away = serializers.IntegerField(allow_null=True)


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    urn = serializers.CharField()
    sport = NamedRef()
    competition = NamedRef(allow_null=True)
    home = serializers.CharField()
    away = serializers.CharField()
    start_time = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=listing.EVENT_STATUS_CHOICES)
    live = serializers.BooleanField()
    score = ScoreOut(allow_null=True)
    match_time = serializers.CharField(allow_blank=True)


class EventsOut(serializers.Serializer):
    events = EventOut(many=True)
    next_offset = serializers.IntegerField(allow_null=True)


class OutcomeOut(serializers.Serializer):
    id = serializers.CharField(help_text="the outcome id, as a bet's leg names it")
    name = serializers.CharField()
    odds = serializers.CharField(
        allow_null=True, help_text="decimal odds with the brand's margin (e.g. 2.10)"
    )
    active = serializers.BooleanField(help_text="takes bets now")


class MarketOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="the market line's id, as a bet's leg names it")
    market = serializers.IntegerField(help_text="the market type's id")
    specifiers = serializers.CharField(allow_blank=True)
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=listing.MARKET_STATUS_CHOICES)
    open = serializers.BooleanField(help_text="takes bets now")
    outcomes = OutcomeOut(many=True)


class EventMarketsOut(EventOut):
    suspended = serializers.BooleanField(help_text="the whole event takes no bets now")
    markets = MarketOut(many=True)


def _event_json(event: Event, status: dict[str, Any] | None = None) -> dict[str, Any]:
    """An event as the API shows it; ``status`` (the odds cache's, fresher) over the row's."""
    state = status or {
        "status": event.status,
        "live": event.live,
        "home_score": event.home_score,
        "away_score": event.away_score,
        "match_time": event.match_time,
    }
    home, away = state.get("home_score"), state.get("away_score")
    return {
        "id": event.id,
        "urn": event.urn,
        "sport": {"id": event.sport_id, "name": event.sport.name},
        "competition": (
            {"id": event.tournament_id, "name": event.tournament.name}
            if event.tournament_id
            else None
        ),
        "home": event.home_name,
        "away": event.away_name,
        "start_time": event.start_time.isoformat() if event.start_time else None,
        "status": listing.EVENT_STATUS_NAMES.get(state.get("status"), "not started"),
        "live": bool(state.get("live")),
        "score": {"home": home, "away": away} if home is not None or away is not None else None,
        "match_time": state.get("match_time") or "",
    }


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


# -- views -----------------------------------------------------------------------------------


@extend_schema(tags=["catalog"])
class SportsView(CatalogView):
    @extend_schema(
        operation_id="sports_list",
        summary="The sports the brand offers",
        responses={200: SportsOut},
    )
    def get(self, request: Request) -> Response:
        brand_id = _brand_id(request)
        _query(_Strict, request)
        return Response(
            {
                "sports": [
                    {"id": s.id, "urn": s.urn, "name": s.name} for s in listing.sports(brand_id)
                ]
            }
        )


@extend_schema(tags=["catalog"])
class CompetitionsView(CatalogView):
    @extend_schema(
        operation_id="competitions_list",
        summary="The competitions (tournaments) the brand offers",
        parameters=[CompetitionsQuery],
        responses={200: CompetitionsOut},
    )
    def get(self, request: Request) -> Response:
        brand_id = _brand_id(request)
        query = _query(CompetitionsQuery, request)
        page = listing.competitions(
            brand_id,
            sport_id=query.get("sport"),
            limit=query["limit"],
            offset=query["offset"],
        )
        items = [_competition_json(t) for t in page.items]
        return Response({"competitions": items, "next_offset": page.next_offset})


def _competition_json(tournament: Tournament) -> dict[str, Any]:
    return {
        "id": tournament.id,
        "urn": tournament.urn,
        "name": tournament.name,
        "sport": tournament.sport_id,
        "category": tournament.category.name,
    }


@extend_schema(tags=["catalog"])
class EventsView(CatalogView):
    @extend_schema(
        operation_id="events_list",
        summary="Events still to be played or in play, by start time",
        parameters=[EventsQuery],
        responses={200: EventsOut},
    )
    def get(self, request: Request) -> Response:
        brand_id = _brand_id(request)
        query = _query(EventsQuery, request)
        where = listing.EventFilter(
            sport_id=query.get("sport"),
            competition_id=query.get("competition"),
            live=query.get("live"),
            upcoming=query.get("upcoming"),
            starts_after=query.get("starts_after"),
            starts_before=query.get("starts_before"),
        )
        page = listing.events(brand_id, where, limit=query["limit"], offset=query["offset"])
        return Response(
            {"events": [_event_json(e) for e in page.items], "next_offset": page.next_offset}
        )


@extend_schema(tags=["catalog"])
class EventView(CatalogView):
    @extend_schema(
        operation_id="event_retrieve",
        summary="An event with its markets, the brand's prices and their statuses",
        parameters=[OpenApiParameter("event_id", int, OpenApiParameter.PATH)],
        responses={200: EventMarketsOut},
    )
    def get(self, request: Request, event_id: int) -> Response:
        brand_id = _brand_id(request)
        _query(_Strict, request)
        event = listing.offered_event(brand_id, event_id)
        if event is None:
            raise Http404("no such event")
        status, markets = listing.event_markets(brand_id, event)
        body = _event_json(event, status)
        body["suspended"] = bool(status["closed"])
        body["markets"] = [
            {
                "id": m["id"],
                "market": m["market"],
                "specifiers": m["specifiers"],
                "name": m["name"],
                "status": listing.MARKET_STATUS_NAMES.get(m["status"], "inactive"),
                "open": m["open"],
                "outcomes": [
                    {"id": o["id"], "name": o["name"], "odds": o["odds"], "active": o["active"]}
                    for o in m["outcomes"]
                ],
            }
            for m in markets
        ]
        return Response(body)

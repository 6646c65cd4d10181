"""The sportsbook's pages on a brand's site: events by sport, and an event with its markets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.catalog import event_lists, live, naming, snapshot, streams
from apps.catalog.models import EVENT_STATUS, Event, MarketDescription, Sport
from apps.catalog.offering import Offer, offer_for

_STATUS_NAMES = dict(EVENT_STATUS)


def _offered(request: HttpRequest, event: Event, offer: Offer) -> bool:
    tournament = event.tournament.urn if event.tournament_id else None
    return offer.event_offered(sport=event.sport.urn, tournament=tournament, event=event.urn)


WHEN = {"": None, "live": True, "upcoming": False}


def sports(request: HttpRequest) -> HttpResponse:
    """Open events by sport and competition (live first, then by start time), each with its
    main market's prices; ``?when=live|upcoming`` and ``?sport=<id>`` filter them."""
    when = request.GET.get("when", "")
    raw_sport = request.GET.get("sport", "")
    sport = None
    error = None
    if when not in WHEN:
        error = {"code": "invalid_filter", "message": "Show all, live or upcoming events."}
    elif raw_sport:
        sport = Sport.objects.filter(pk=int(raw_sport)).first() if raw_sport.isdigit() else None
        if sport is None:
            error = {"code": "unknown_sport", "message": "There is no such sport."}
    if error is not None:
        context = {"groups": [], "error": error, "when": "", "sport": None}
        return render(request, "catalog/sports.html", context, status=400)
    listed = event_lists.events_listed(
        request.tenant.pk, live=WHEN[when], sport_id=sport.pk if sport else None
    )
    context = {"groups": event_lists.grouped(listed), "when": when, "sport": sport}
    return render(request, "catalog/sports.html", context)


def _markets(event: Event, view: dict[str, Any]) -> list[dict[str, Any]]:
    descriptions = {
        d.market_id: d
        for d in MarketDescription.objects.filter(
            market_id__in={m["market"] for m in view["markets"]}
        )
    }
    out = []
    for line in view["markets"]:
        description = descriptions.get(line["market"])
        if description is None or line["status"] in (-3, -4):
            continue  # settled and cancelled lines are history, not offers
        names = dict(home=event.home_name, away=event.away_name)
        out.append(
            {
                **line,
                "name": naming.render(description.name, line["specifiers"], **names),
                "outcomes": [
                    {
                        **o,
                        "name": naming.outcome_name(
                            description.outcomes, o["id"], line["specifiers"], **names
                        ),
                    }
                    for o in line["outcomes"]
                ],
            }
        )
    return out


def _event_context(request: HttpRequest, event_id: int) -> dict[str, Any]:
    event = Event.objects.select_related("sport", "tournament").filter(pk=event_id).first()
    offer = offer_for(request.tenant.pk)
    if event is None or not _offered(request, event, offer):
        raise Http404("no such event")
    view = snapshot.view(event, offer, producers_down=live.producers_down(event.provider))
    status = view["status"]
    return {
        "event": event,
        "live_odds_port": settings.LIVE_ODDS_PORT,
        "view": view,
        "status": status,
        "status_name": _STATUS_NAMES.get(status.get("status"), ""),
        "video": streams.stream_shown(event, status),
        "markets": _markets(event, view),
    }


def event(request: HttpRequest, event_id: int) -> HttpResponse:
    # The bet slip is on every page (templates/bets/_slip.html), with its own settings.
    return render(request, "catalog/event.html", _event_context(request, event_id))


def event_markets(request: HttpRequest, event_id: int) -> HttpResponse:
    """The markets part of the event page, for the page's script to swap in."""
    return render(request, "catalog/_markets.html", _event_context(request, event_id))

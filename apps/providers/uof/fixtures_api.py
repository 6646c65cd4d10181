"""The provider's fixture document (``GET /v1/sports/en/sport_events/{urn}/fixture.xml``).

``parse_fixture`` turns the XML into the catalog's ``FixtureData`` (defusedxml; anything unusable
raises ``MalformedMessage``, as for feed messages); ``fetch_fixture`` asks the API for one event
and returns None when the provider does not know it (404).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime
from urllib.parse import quote
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from apps.catalog.fixtures import FixtureData
from apps.providers.outbound import provider_open
from apps.providers.uof.messages import MalformedMessage


class FixtureApiError(OSError):
    """The API could not be asked (connection, timeout) or answered an error other than 404."""


def _required(element: Element, name: str) -> str:
    value = element.get(name)
    if not value:
        raise MalformedMessage(f"<{element.tag}> lacks {name}")
    return value


def _child(parent: Element, path: str) -> Element:
    element = parent.find(path)
    if element is None:
        raise MalformedMessage(f"<{parent.tag}> lacks <{path}>")
    return element


def parse_fixture(raw: bytes, *, provider: str) -> FixtureData:
    """The fixture document of one of ``provider``'s events."""
    try:
        root = fromstring(raw)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedMessage(f"not usable XML: {exc}") from None
    fixture = root if root.tag == "fixture" else root.find("fixture")
    if fixture is None:
        raise MalformedMessage(f"<{root.tag}> holds no <fixture>")
    raw_time = fixture.get("start_time") or fixture.get("scheduled")
    if not raw_time:
        raise MalformedMessage("<fixture> lacks start_time")
    try:
        start_time = datetime.fromisoformat(raw_time)
    except ValueError:
        raise MalformedMessage(f"start_time {raw_time!r} is not an ISO 8601 time") from None
    if start_time.tzinfo is None:
        raise MalformedMessage(f"start_time {raw_time!r} has no time zone")
    tournament = _child(fixture, "tournament")
    sport = _child(tournament, "sport")
    category = _child(tournament, "category")
    sides: dict[str, Element] = {}
    for competitor in fixture.findall("competitors/competitor"):
        qualifier = competitor.get("qualifier")
        if qualifier in ("home", "away"):
            sides[qualifier] = competitor
    if set(sides) != {"home", "away"}:
        raise MalformedMessage("<fixture> needs a home and an away competitor")
    return FixtureData(
        urn=_required(fixture, "id"),
        provider=provider,
        start_time=start_time,
        sport_urn=_required(sport, "id"),
        sport_name=_required(sport, "name"),
        category_urn=_required(category, "id"),
        category_name=_required(category, "name"),
        tournament_urn=_required(tournament, "id"),
        tournament_name=_required(tournament, "name"),
        home_name=_required(sides["home"], "name"),
        away_name=_required(sides["away"], "name"),
        home_urn=sides["home"].get("id"),
        away_urn=sides["away"].get("id"),
    )


def fixture_url(api_url: str, urn: str, language: str = "en") -> str:
    return f"{api_url.rstrip('/')}/v1/sports/{language}/sport_events/{quote(urn)}/fixture.xml"


def fetch_fixture(
    api_url: str, urn: str, timeout: float = 2.0, *, provider: str, token: str | None = None
) -> FixtureData | None:
    """The fixture of ``urn`` from ``provider``'s API at ``api_url`` (its origin, e.g.
    http://host:port).

    None when the provider answers 404; FixtureApiError (an OSError) when it cannot be asked
    or fails (a redirect too: the token is not sent on); MalformedMessage when the answer is not
    a usable fixture.
    """
    url = fixture_url(api_url, urn)
    if not url.startswith(("http://", "https://")):
        raise FixtureApiError(f"not an http(s) API URL: {api_url!r}")
    request = urllib.request.Request(url, headers={"Accept": "application/xml"})  # noqa: S310
    if token:
        request.add_header("x-access-token", token)
    try:
        with provider_open(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise FixtureApiError(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise FixtureApiError(f"{url}: {exc}") from exc
    return parse_fixture(body, provider=provider)

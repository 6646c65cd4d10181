"""A brand's look (title, tagline, colour, logo) as every page of its site shows it.

Loaded by the ``look`` context processor on every page, so ``/sports/``, login and the error pages
wear the brand's look as the home page does. One query per brand at most every ``LOOK_CACHE_S``
seconds per process; the brand admin's save forgets this process's copy at once (other
processes see the change within the time to live). ``look_cached`` never queries: the 500 page
uses it, when the database may be the reason for the error.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.site.models import DEFAULT_COLOUR, SiteSettings
from betting.ttl_cache import TtlCache

LOOK_CACHE_S = 30.0


@dataclass(frozen=True)
class Look:
    title: str
    tagline: str
    primary_colour: str
    logo: str  # an image's data: URI, or ""


_looks: TtlCache[Look] = TtlCache("site look", ttl_s=LOOK_CACHE_S)


def plain_look(tenant) -> Look:
    return Look(title=tenant.name, tagline="", primary_colour=DEFAULT_COLOUR, logo="")


def look_for(tenant) -> Look:
    """The brand's look (the connection is on the brand's schema, as on any brand request)."""
    look = _looks.get(tenant.pk)
    if look is None:
        row = SiteSettings.objects.first()
        if row is None:
            look = plain_look(tenant)
        else:
            look = Look(
                title=row.title or tenant.name,
                tagline=row.tagline,
                primary_colour=row.primary_colour,
                logo=row.logo,
            )
        _looks.put(tenant.pk, look)
    return look


def look_cached(tenant) -> Look:
    """The brand's look if this process holds it, else the plain look: no query."""
    return _looks.get(tenant.pk) or plain_look(tenant)


def look_forget(tenant_id: int) -> None:
    _looks.forget(tenant_id)

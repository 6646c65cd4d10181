"""Which event video a page shows: a stream players can watch now, or none.

The video provider lists streams as scheduled or live (``providers.video``). A page shows a player
only for a live stream of an event that is live, at an address on one of the hosts the operator
has checked players can reach (``settings.VIDEO_STREAM_HOSTS``): nothing is labelled live before
the event starts, and no player points at an address that cannot play (the demo's video simulator
lists streams at ``video-simulator.invalid``, which no browser can reach, so the demo shows none).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from apps.catalog.models import Event


def stream_shown(event: Event, status: dict[str, Any]) -> dict[str, Any] | None:
    video = event.video
    if not video or video.get("status") != "live" or not status.get("live"):
        return None
    url = video.get("url") or ""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname not in settings.VIDEO_STREAM_HOSTS:
        return None
    return {"url": url, "quality": video.get("quality") or []}

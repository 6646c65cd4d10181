"""The one brand resolution of the platform's websockets: which brand's site a socket is on.

Both socket servers (the players' sockets and event pages' live-odds gateway) accept a socket
only on a brand's own host. The platform's own host (its backoffice) has no player or event pages:
a socket there is refused like one on a host no brand has. A known host costs no query (the
brands' host cache, ``brand_for_host``).
"""

from __future__ import annotations

from django.db import connection

from apps.brands.models import Brand
from apps.brands.selectors import brand_for_host


def socket_brand(host: str) -> Brand | None:
    """The active brand whose site ``host`` is, or None. Runs where database access is allowed
    (a thread, not the event loop), in the platform's public schema."""
    connection.set_schema_to_public()
    brand = brand_for_host(host) if host else None
    if brand is None or brand.is_platform:
        return None
    return brand

"""A bet refused: the one refusal type of placement, the live decision and cash-out, with a
machine-readable code the API and the site answer with."""

from __future__ import annotations

from typing import Any


class BetRefused(Exception):
    """A slip, a live bet or a cash-out that cannot be accepted; ``code`` says why."""

    def __init__(self, code: str, message: str, *, leg: int | None = None, **detail: Any):
        super().__init__(message)
        self.code = code
        self.leg = leg
        self.detail = detail

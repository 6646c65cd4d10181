"""The SQL an app owns (``apps/<app>/sql/*.sql``) reaches another app's data only through the
functions and views that app defines in its own ``sql/`` folder, never its tables: the bets'
placement functions read the catalog's replica and lock the player through the catalog's and the
players' own functions, and post through the wallet's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

APPS_DIR = Path(settings.BASE_DIR) / "apps"
_COMMENT_OR_STRING = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.S)
_IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_$]*")
_DEFINITION = re.compile(
    r"\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|VIEW)\s+([A-Za-z_][A-Za-z0-9_]*)", re.I
)


def _labels() -> list[str]:
    """Every installed app's label, longest first (so ``catalog_x`` is never read as ``cat``'s)."""
    return sorted((config.label for config in apps.get_app_configs()), key=len, reverse=True)


def _code(text: str) -> str:
    """The SQL without its comments and string literals (function bodies are kept)."""
    return _COMMENT_OR_STRING.sub(" ", text)


def _owner(name: str, labels: list[str]) -> str | None:
    return next((label for label in labels if name.startswith(f"{label}_")), None)


def defined_in(app: str) -> set[str]:
    """The functions and views ``apps/<app>/sql/*.sql`` define (current versions)."""
    names: set[str] = set()
    for path in sorted((APPS_DIR / app / "sql").glob("*.sql")):
        names |= {n.lower() for n in _DEFINITION.findall(_code(path.read_text()))}
    return names


def violations(app: str, text: str, labels: list[str]) -> list[str]:
    """Each name in ``text`` (SQL of ``app``) that belongs to another app but is not a function
    or view that app defines in its own ``sql/`` folder."""
    found = []
    for name in sorted({n.lower() for n in _IDENTIFIER.findall(_code(text))}):
        owner = _owner(name, labels)
        if owner is None or owner == app:
            continue
        if name not in defined_in(owner):
            found.append(f"{name}: of app {owner}, and not a function or view of its sql/")
    return found


def _sql_files() -> list[Path]:
    return sorted(APPS_DIR.glob("*/sql/*.sql"))


def test_the_bets_sql_is_checked():
    assert {p.name for p in (APPS_DIR / "bets" / "sql").glob("*.sql")} >= {
        "bets_lines.sql",
        "bets_open_slip.sql",
        "bets_place.sql",
    }


@pytest.mark.parametrize("path", _sql_files(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_sql_reaches_other_apps_only_through_their_functions_and_views(path):
    app = path.parent.parent.name
    assert violations(app, path.read_text(), _labels()) == []


def test_a_table_of_another_app_is_a_violation_and_its_function_is_not():
    labels = _labels()
    sql = """
    -- players_player named in a comment is no reference
    SELECT p.is_active FROM players_player p WHERE p.id = 1 AND p.username <> 'catalog_x';
    SELECT players_lock_for_bet(1, 2), wallet_post(1), bets_lines(ARRAY[1]);
    SELECT * FROM catalog_replicamarket JOIN catalog_replica_lines(ARRAY[1]) USING (id);
    """
    assert violations("bets", sql, labels) == [
        "catalog_replicamarket: of app catalog, and not a function or view of its sql/",
        "players_player: of app players, and not a function or view of its sql/",
    ]

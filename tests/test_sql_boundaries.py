"""The SQL an app owns (``apps/<app>/sql/*.sql``) reaches another app's data only through the
functions and views that app defines in its own ``sql/`` folder, never its tables: the bets'
placement functions read the catalog's replica and lock the player through the catalog's and the
players' own functions, and post through the wallet's. The same holds for the SQL the bets'
Python modules run (settlement locks lines and reads results, the liability announcements name
lines, through the catalog's functions and view)."""

from __future__ import annotations

import ast
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


_SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b")


def sql_in_python(path: Path) -> list[str]:
    """The string constants of a Python module that are SQL (statements run with a cursor)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _SQL_WORDS.search(node.value)
    ]


def _bets_modules() -> list[Path]:
    return sorted(p for p in (APPS_DIR / "bets").rglob("*.py") if "migrations" not in p.parts)


def test_the_bets_python_sql_is_checked():
    statements = [s for path in _bets_modules() for s in sql_in_python(path)]
    assert any("catalog_replica_lines_lock" in s for s in statements)
    assert any("catalog_replica_line_keys" in s for s in statements)


@pytest.mark.parametrize("path", _bets_modules(), ids=lambda p: str(p.relative_to(APPS_DIR)))
def test_the_bets_sql_in_python_reaches_other_apps_only_through_their_functions_and_views(path):
    labels = _labels()
    found = [v for sql in sql_in_python(path) for v in violations("bets", sql, labels)]
    assert found == []


def test_sql_in_python_is_found_and_a_table_of_another_app_in_it_is_a_violation(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        'LINES = """\nSELECT m.id FROM catalog_replicamarket m WHERE m.id = %s\n"""\n'
        'NAME = "catalog_replicamarket is named here, in no statement"\n'
    )
    (statement,) = sql_in_python(module)
    assert violations("bets", statement, _labels()) == [
        "catalog_replicamarket: of app catalog, and not a function or view of its sql/"
    ]

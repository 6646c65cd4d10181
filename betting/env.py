"""Reading configuration from the environment (12-factor), with clear errors."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str, *, engine: str) -> dict:
    """A Django DATABASES entry from ``postgresql://user:pass@host:port/name?opt=v``.

    ``host`` may also be given as a query option, for a Unix socket directory.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ImproperlyConfigured(f"unsupported database URL scheme {parts.scheme!r}")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    host = options.pop("host", None) or (unquote(parts.hostname) if parts.hostname else "")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("the database URL names no database")
    return {
        "ENGINE": engine,
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


def with_database_name(url: str, name: str) -> str:
    """The same server URL with another database name (shards live beside the global one)."""
    parts = urlsplit(url)
    return parts._replace(path="/" + name).geturl()


def with_credentials(url: str, *, of: str) -> str:
    """``url`` with the user name and password of the URL ``of`` (the owner's, say)."""
    parts, source = urlsplit(url), urlsplit(of)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    login = source.username or ""
    if source.password is not None:
        login += f":{source.password}"
    netloc = f"{login}@{host}{port}" if login else f"{host}{port}"
    return parts._replace(netloc=netloc).geturl()

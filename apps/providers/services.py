"""Registering and reconfiguring providers (the provider manager's writes outside the admin)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.providers.models import KINDS, Producer, Provider
from apps.providers.uof.producers import KNOWN
from shards.map import GLOBAL_ALIAS

SETTINGS = (
    "exchange",
    "bindings",
    "api_url",
    "token_env",
    "broker_url_env",
    "node_id",
    "enabled_sports",
    "content",
    "enabled",
)


class ProviderError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def provider_configure(
    *, name: str, kind: str, producers: list[int] = (), **settings: Any
) -> Provider:
    """Create or update provider ``name`` with ``settings`` (only those given change); a UOF
    provider gets the ``producers`` listed (by UOF id) if it does not have them yet."""
    if kind not in dict(KINDS):
        raise ProviderError(
            "unknown_kind", f"provider kind must be one of {', '.join(dict(KINDS))}"
        )
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ProviderError("unknown_setting", f"unknown settings: {', '.join(sorted(unknown))}")
    with transaction.atomic(using=GLOBAL_ALIAS):
        provider, created = Provider.objects.get_or_create(name=name, defaults={"kind": kind})
        if not created and provider.kind != kind:
            raise ProviderError("kind_mismatch", f"provider {name} is a {provider.kind} provider")
        for key, value in settings.items():
            setattr(provider, key, value)
        provider.full_clean()
        provider.save()
        for producer_id in producers:
            label, api_name = KNOWN.get(producer_id, (f"producer {producer_id}", str(producer_id)))
            Producer.objects.get_or_create(
                provider=provider,
                producer_id=producer_id,
                defaults={"name": label, "api_name": api_name},
            )
    return provider

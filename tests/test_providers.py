"""The provider manager's command line: configure_provider and run_provider's refusals."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from apps.providers.models import Producer, Provider


def test_configure_provider_creates_then_updates_only_what_is_given(clean):
    call_command(
        "configure_provider",
        "uof",
        "--kind",
        "uof",
        "--exchange",
        "unifiedfeed",
        "--api-url",
        "https://api.provider.example",
        "--producer",
        "1",
        "--producer",
        "3",
        "--sport",
        "sr:sport:1",
        "--token-env",
        "PROVIDER_TOKEN_UOF",
    )
    row = Provider.objects.get(name="uof")
    assert (row.kind, row.exchange, row.api_url) == (
        "uof",
        "unifiedfeed",
        "https://api.provider.example",
    )
    assert row.enabled_sports == ["sr:sport:1"] and row.token_env == "PROVIDER_TOKEN_UOF"
    assert sorted(Producer.objects.values_list("producer_id", "api_name")) == [
        (1, "liveodds"),
        (3, "pre"),
    ]
    call_command("configure_provider", "uof", "--kind", "uof", "--node-id", "7", "--producer", "1")
    row.refresh_from_db()
    assert (row.node_id, row.api_url, row.token_env) == (
        "7",
        "https://api.provider.example",
        "PROVIDER_TOKEN_UOF",
    )
    assert Producer.objects.count() == 2


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--kind", "smoke-signals"], "unknown_kind"),
        (["--kind", "uof", "--api-url", "not a url"], "invalid"),
    ],
)
def test_configure_provider_refuses_bad_input_and_writes_nothing(clean, args, code):
    with pytest.raises(CommandError, match=code):
        call_command("configure_provider", "feedx", *args)
    assert not Provider.objects.filter(name="feedx").exists()


def test_a_kind_cannot_change_under_a_provider(clean):
    call_command("configure_provider", "feedx", "--kind", "video")
    with pytest.raises(CommandError, match="kind_mismatch"):
        call_command("configure_provider", "feedx", "--kind", "uof")
    assert Provider.objects.get(name="feedx").kind == "video"


def test_run_provider_refuses_an_unknown_or_disabled_provider(clean):
    with pytest.raises(CommandError, match="no provider named"):
        call_command("run_provider", "nobody")
    call_command("configure_provider", "feedx", "--kind", "uof", "--disable")
    with pytest.raises(CommandError, match="disabled"):
        call_command("run_provider", "feedx")

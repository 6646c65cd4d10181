"""Operators in the backoffice, in a real browser: a brand's staff member sees their own
brand's players and cannot open another brand's."""

from __future__ import annotations

from playwright.sync_api import expect

from apps.players.models import DirectoryEntry
from tests.browser import site


def test_a_brand_operator_cannot_open_another_brands_player(people, stack, alpha, beta):
    visitor = people("visitor")
    site.register(visitor.page, stack, "alpha.localhost", "amos")
    site.register(visitor.page, stack, "beta.localhost", "bella")
    bella = DirectoryEntry.objects.get(brand_id=beta.id, login_name="bella")

    site.staff_member(alpha.schema_name, "abel")
    operator = people("operator")
    office = operator.page
    site.staff_sign_in(office, stack, "alpha.localhost", alpha.schema_name, "abel")
    expect(office.locator("#user-tools")).to_contain_text("Welcome, abel")

    # The brand's player list names its own players only.
    office.goto(stack.url("alpha.localhost", "/admin/players/directoryentry/"))
    players = office.locator("#result_list")
    expect(players).to_contain_text("amos")
    expect(players).not_to_contain_text("bella")
    operator.shot("backoffice-players")

    # Searching for the other brand's player finds nothing.
    office.goto(stack.url("alpha.localhost", "/admin/players/directoryentry/?q=bella"))
    expect(office.locator("#changelist")).not_to_contain_text("bella")

    # Her page, by its address, does not exist for him: he is sent back to the backoffice's
    # home with that message, and nothing of hers is shown.
    office.goto(stack.url("alpha.localhost", f"/admin/players/directoryentry/{bella.pk}/change/"))
    assert office.url == stack.url("alpha.localhost", "/admin/")
    expect(office.locator(".messagelist")).to_contain_text("doesn\u2019t exist")
    expect(office.locator("body")).not_to_contain_text("bella")
    for part in ("player", "wallet"):
        response = office.goto(
            stack.url("alpha.localhost", f"/admin/players/directoryentry/{bella.pk}/{part}/")
        )
        assert response.status == 404, part
        expect(office.locator("body")).not_to_contain_text("bella")
    # His own player's page opens, whole.
    amos = DirectoryEntry.objects.get(brand_id=alpha.id, login_name="amos")
    office.goto(stack.url("alpha.localhost", f"/admin/players/directoryentry/{amos.pk}/player/"))
    expect(office.locator("#player-profile")).to_contain_text("amos")
    expect(office.locator("#player-status")).to_have_text("active")

    # The brand's staff cannot sign in to the other brand's backoffice at all.
    site.staff_sign_in(office, stack, "beta.localhost", alpha.schema_name, "abel")
    expect(office.locator("#user-tools")).to_have_count(0)
    expect(office.locator(".errornote")).to_be_visible()

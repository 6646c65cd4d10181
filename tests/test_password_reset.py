"""Password reset by e-mail: the same answer for any address (no account enumeration), a link
that works once and only on its own brand, every session ended after the reset, throttled as
logins are."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client, override_settings

from apps.players import password_reset
from apps.players.models import Player
from apps.players.services import player_block, player_register
from betting.celery import app
from tests.test_player_logins import assert_throttled
from tests.test_player_sessions import NEW_PASSWORD, PASSWORD, logged_in, me

LOCMEM = override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
LINK = re.compile(r"http://alpha\.localhost/account/password/reset/([^/\s]+)/([^/\s]+)/")


@pytest.fixture(autouse=True)
def outbox():
    """E-mails kept in memory; the global worker's task run at once, in the test's process."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        with LOCMEM:
            mail.outbox = []
            yield mail.outbox
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def gus(alpha):
    return player_register(brand=alpha, username="gus", email="Gus@Example.com", password=PASSWORD)


def visitor(address="198.51.100.20", host="alpha.localhost") -> Client:
    return Client(HTTP_HOST=host, REMOTE_ADDR=address)


def stored(player) -> Player:
    return Player.objects.for_entity(player.id).get(pk=player.id)


def ask(client: Client, email: str):
    return client.post("/account/password/reset/", {"email": email})


def link_of(message) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(0).removeprefix("http://alpha.localhost")


def test_the_login_page_offers_the_reset(alpha):
    page = visitor().get("/account/login/").content.decode()
    assert 'href="/account/password/reset/"' in page
    assert visitor().get("/account/password/reset/").status_code == 200


def test_a_known_and_an_unknown_address_get_the_same_answer(alpha, beta, gus, outbox):
    known = ask(visitor(), "gus@example.com")  # the case of the address does not matter
    unknown = ask(visitor("198.51.100.21"), "nobody@example.com")
    other_brand = ask(visitor("198.51.100.22", "beta.localhost"), "gus@example.com")
    assert known.status_code == unknown.status_code == other_brand.status_code == 302
    assert known["Location"] == unknown["Location"] == "/account/password/reset/sent/"
    sent = visitor().get(known["Location"]).content.decode()
    assert "If an account" in sent
    assert [m.to for m in outbox] == [["Gus@Example.com"]]  # one e-mail, to gus only
    assert "reset your password" in outbox[0].subject


def test_the_link_sets_a_new_password_once_and_ends_every_session(alpha, gus, outbox):
    phone = logged_in(alpha, address="203.0.113.5")
    assert me(phone) == 200
    ask(visitor(), "gus@example.com")
    path = link_of(outbox[0])
    browser = visitor("198.51.100.30")
    opened = browser.get(path)
    assert opened.status_code == 302  # the token leaves the address bar
    form_path = opened["Location"]
    assert "/account/password/reset/" in form_path and path.split("/")[-2] not in form_path
    assert browser.get(form_path).status_code == 200
    differ = browser.post(
        form_path, {"new_password": NEW_PASSWORD, "new_password_again": "something else 123"}
    )
    assert differ.status_code == 400 and check_password(PASSWORD, stored(gus).password)
    weak = browser.post(form_path, {"new_password": "1", "new_password_again": "1"})
    assert weak.status_code == 400 and check_password(PASSWORD, stored(gus).password)
    done = browser.post(
        form_path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )
    assert done.status_code == 200 and "Your password is set" in done.content.decode()
    assert check_password(NEW_PASSWORD, stored(gus).password)
    assert me(phone) == 401  # the sessions of before the reset are over
    # The link worked once: a second use is refused and changes nothing.
    again = visitor("198.51.100.31")
    form_again = again.get(path)["Location"]
    refused = again.post(
        form_again,
        {"new_password": "a third passphrase 99", "new_password_again": "a third passphrase 99"},
    )
    assert refused.status_code == 400 and "no longer valid" in refused.content.decode()
    assert check_password(NEW_PASSWORD, stored(gus).password)


def test_a_forged_or_foreign_link_changes_nothing(alpha, beta, gus, outbox):
    ask(visitor(), "gus@example.com")
    path = link_of(outbox[0])
    uid, token = path.rstrip("/").split("/")[-2:]
    for bad in (
        f"/account/password/reset/{uid}/{token[:-1]}x/",
        f"/account/password/reset/Zm9v/{token}/",
    ):
        client = visitor("198.51.100.40")
        form_path = client.get(bad)["Location"]
        answer = client.post(
            form_path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
        )
        assert answer.status_code == 400
    on_beta = visitor("198.51.100.41", "beta.localhost")
    form_path = on_beta.get(path)["Location"]
    answer = on_beta.post(
        form_path, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )
    assert answer.status_code == 400
    assert check_password(PASSWORD, stored(gus).password)


def test_a_blocked_account_gets_no_link(alpha, gus, outbox):
    player_block(brand_id=alpha.id, player_id=gus.id)
    assert ask(visitor(), "gus@example.com").status_code == 302
    assert outbox == []


def test_a_link_from_before_a_password_change_no_longer_works(alpha, gus, outbox):
    ask(visitor(), "gus@example.com")
    path = link_of(outbox[0])
    Player.objects.for_entity(gus.id).filter(pk=gus.id).update(password="changed elsewhere")
    client = visitor("198.51.100.50")
    form_path = client.get(path)["Location"]
    assert client.get(form_path).status_code == 400


def test_asking_is_throttled_like_logins(alpha, gus, outbox):
    with override_settings(THROTTLE_ADDRESS_WINDOWS=[(3, 60)]):
        client = visitor("198.51.100.60")
        for n in range(3):
            assert ask(client, f"someone{n}@example.com").status_code == 302
        assert_throttled(ask(client, "gus@example.com"))
    assert outbox == []  # refused before any look-up or e-mail
    with override_settings(LOGIN_NAME_FREE_FAILURES=2, LOGIN_NAME_DELAY_S=60):
        # One mailbox cannot be flooded from many addresses.
        assert ask(visitor("198.51.100.61"), "gus@example.com").status_code == 302
        assert ask(visitor("198.51.100.62"), "gus@example.com").status_code == 302
        assert_throttled(ask(visitor("198.51.100.63"), "gus@example.com"))
    assert len(outbox) == 2


def test_no_reset_on_the_platforms_domain(clean):
    assert (
        visitor(host="localhost").post("/account/password/reset/", {"email": "a@b.c"}).status_code
        == 404
    )


def test_the_request_only_hands_the_e_mail_to_a_global_worker(alpha, gus, outbox, monkeypatch):
    """Looking the address up and e-mailing happen on a worker, after the answer: the answer
    takes as long for an address with an account as for one without."""
    queued = []
    monkeypatch.setattr(password_reset.password_reset_mail, "delay", lambda **kw: queued.append(kw))
    assert ask(visitor(), "GUS@example.com").status_code == 302
    assert ask(visitor("198.51.100.70"), "nobody@example.com").status_code == 302
    assert outbox == []
    assert [q["email"] for q in queued] == ["gus@example.com", "nobody@example.com"]
    assert queued[0]["link_prefix"] == "http://alpha.localhost/account/password/reset/"
    assert password_reset.password_reset_mail(**queued[1]) == 0
    assert password_reset.password_reset_mail(**queued[0]) == 1
    assert [m.to for m in outbox] == [["Gus@Example.com"]]

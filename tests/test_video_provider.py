"""The video provider: its wire format, the simulator, and the adapter writing ``Event.video``.

The simulator runs in-process on a free port and the adapter polls it once per step; the last
test runs ``manage.py video_simulator`` and ``manage.py run_provider video`` as real processes.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
import urllib.error
import urllib.request

import pytest

from apps.catalog.models import Event
from apps.providers.models import Provider
from apps.providers.video import adapter as video_adapter
from apps.providers.video.adapter import VideoAdapter
from apps.providers.video.protocol import Malformed, parse_listing, parse_stream
from betting.stack.roles import Role
from simulators.video import VideoSimulator, plan_for
from tests import processes
from tests.feed_helpers import make_event, provider

E1, E2, E3 = "sr:match:7001", "sr:match:7002", "sr:match:7003"
GOOD = {
    "event": E1,
    "stream_id": "abc123",
    "status": "live",
    "url": "https://cdn.example/hls/abc123.m3u8",
    "start_ms": 1_764_255_600_000,
    "quality": ["720p", "1080p"],
    "geo_blocked": ["US"],
}


class Clock:
    def __init__(self, now: float = 1_764_255_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pushes(monkeypatch):
    """The events whose open pages were told to re-read them."""
    sent: list[int] = []
    monkeypatch.setattr(video_adapter, "publish_refresh", lambda ids: sent.extend(ids))
    return sent


@pytest.fixture
def sim(clean):
    """A simulator offering nothing by itself: the tests pin the streams they want."""
    server = VideoSimulator(seed=1, offered_share=0.0).start()
    yield server
    server.close()


def video_provider(server: VideoSimulator, **fields) -> Provider:
    return provider(name="video", kind="video", api_url=server.url, **fields)


def control(server: VideoSimulator, method: str, urn: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"{server.url}/control/streams/{urn}", data=data, method=method
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def video(urn: str):
    return Event.objects.get(urn=urn).video


# -- the wire format ---------------------------------------------------------------------------


def test_a_valid_entry_parses_and_becomes_the_events_metadata():
    stream = parse_stream(GOOD)
    assert stream.offered
    assert stream.metadata("video") == {
        "provider": "video",
        "stream_id": "abc123",
        "status": "live",
        "url": "https://cdn.example/hls/abc123.m3u8",
        "start_ms": 1_764_255_600_000,
        "quality": ["720p", "1080p"],
        "geo_blocked": ["US"],
    }
    ended = parse_stream({**GOOD, "status": "ended", "url": None})
    assert not ended.offered


@pytest.mark.parametrize(
    "change",
    [
        {"event": "match 1"},
        {"event": None},
        {"stream_id": ""},
        {"stream_id": "a/b"},
        {"status": "streaming"},
        {"url": "http://cdn.example/x.m3u8"},
        {"url": None},
        {"url": "javascript:alert(1)"},
        {"start_ms": "soon"},
        {"start_ms": True},
        {"start_ms": -1},
        {"quality": "720p"},
        {"quality": ["<b>"]},
        {"geo_blocked": ["usa"]},
    ],
)
def test_an_entry_breaking_a_rule_is_refused(change):
    with pytest.raises(Malformed):
        parse_stream({**GOOD, **change})


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[]", b'{"streams": []}', b'{"generated_at": 1, "streams": {}}', b"\xff"],
)
def test_a_body_that_cannot_be_used_is_refused_whole(raw):
    with pytest.raises(Malformed):
        parse_listing(raw)


def test_bad_entries_are_listed_and_the_others_kept():
    body = {"generated_at": 5, "streams": [GOOD, {"event": E2}, 7, {**GOOD, "stream_id": "dup"}]}
    listing = parse_listing(json.dumps(body).encode())
    assert [s.event for s in listing.streams] == [E1]
    assert [position for position, _ in listing.rejected] == [1, 2, 3]
    assert listing.entries == 4


# -- the simulator ------------------------------------------------------------------------------


def test_the_simulator_is_deterministic_by_seed_and_moves_streams_along():
    urns = [f"sr:match:{n}" for n in range(40)]
    plans = [plan_for(3, u, offered_share=0.8, lead_s=60, live_s=300) for u in urns]
    again = [plan_for(3, u, offered_share=0.8, lead_s=60, live_s=300) for u in urns]
    other = [plan_for(4, u, offered_share=0.8, lead_s=60, live_s=300) for u in urns]
    assert plans == again and plans != other
    assert 20 <= sum(p.offered for p in plans) < 40  # most, not all

    clock = Clock()
    server = VideoSimulator(seed=3, events=urns, clock=clock, lead_s=60, live_s=300)
    try:
        listed = server.entries()
        assert {e["event"] for e in listed} == {
            u for u, p in zip(urns, plans, strict=True) if p.offered
        }
        for entry in listed:
            parse_stream(entry)
        assert {e["status"] for e in listed} == {"scheduled", "live"}
        clock.now += 61
        assert {e["status"] for e in server.entries()} == {"live"}
        clock.now += 1000
        assert {e["status"] for e in server.entries()} == {"ended"}
    finally:
        server.server_close()


def test_the_simulator_answers_304_when_nothing_changed_and_401_without_its_token(clean):
    server = VideoSimulator(seed=1, token="right", events=[E1], offered_share=1.0).start()
    try:
        url = f"{server.url}/v1/streams"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == 401
        first = urllib.request.urlopen(
            urllib.request.Request(url, headers={"x-access-token": "right"}), timeout=5
        )
        etag = first.headers["ETag"]
        assert parse_listing(first.read()).streams[0].event == E1
        again = urllib.request.Request(
            url, headers={"x-access-token": "right", "If-None-Match": etag}
        )
        with pytest.raises(urllib.error.HTTPError) as unchanged:
            urllib.request.urlopen(again, timeout=5)
        assert unchanged.value.code == 304
        control(server, "DELETE", E1)
        assert parse_listing(urllib.request.urlopen(again, timeout=5).read()).streams == []
    finally:
        server.close()


# -- the adapter --------------------------------------------------------------------------------


def test_offered_streams_are_written_and_the_provider_status_recorded(sim, pushes):
    e1, e2, e3 = make_event(E1), make_event(E2), make_event(E3)
    control(sim, "POST", E1, {"stream_id": "s1", "quality": ["720p"]})
    control(sim, "POST", E2, {"stream_id": "s2", "status": "scheduled"})
    row = video_provider(sim)

    result = VideoAdapter(row).poll_once()

    assert (result.outcome, result.entries, result.changed) == ("listing", 2, 2)
    assert video(E1)["stream_id"] == "s1" and video(E1)["status"] == "live"
    assert video(E1)["url"].startswith("https://video-simulator.invalid/hls/")
    assert video(E1)["quality"] == ["720p"] and video(E1)["provider"] == "video"
    assert video(E2)["status"] == "scheduled"
    assert video(E3) is None
    row.refresh_from_db()
    assert row.running and row.heartbeat_at and row.last_message_at
    assert (row.messages, row.malformed, row.unknown_event) == (2, 0, 0)
    assert row.lag_ms is not None and -1000 < row.lag_ms < 5000
    assert sorted(pushes) == sorted([e1.id, e2.id])
    assert e3.id not in pushes


def test_an_unchanged_listing_costs_a_304_and_writes_nothing(sim, pushes):
    make_event(E1)
    control(sim, "POST", E1, {})
    adapter = VideoAdapter(video_provider(sim))
    adapter.poll_once()
    before = Event.objects.get(urn=E1).updated_at
    pushes.clear()

    result = adapter.poll_once()

    assert (result.outcome, result.changed) == ("not_modified", 0)
    assert sim.answers[304] == 1
    assert Event.objects.get(urn=E1).updated_at == before
    assert pushes == []
    # A change of one stream writes that event only.
    make_event(E2)
    control(sim, "POST", E2, {})
    assert adapter.poll_once().changed == 1


def test_an_event_added_to_the_catalog_later_gets_its_stream_on_an_unchanged_listing(sim, pushes):
    control(sim, "POST", E1, {})
    row = video_provider(sim)
    adapter = VideoAdapter(row)
    assert adapter.poll_once().unknown_event == 1
    make_event(E1)

    result = adapter.poll_once()

    assert (result.outcome, result.changed, result.unknown_event) == ("not_modified", 1, 0)
    assert video(E1)["status"] == "live"
    row.refresh_from_db()
    assert row.unknown_event == 1  # counted once per listing received, not per poll


def test_a_removed_or_ended_stream_clears_the_video(sim, pushes):
    e1, _e2 = make_event(E1), make_event(E2)
    control(sim, "POST", E1, {})
    control(sim, "POST", E2, {})
    adapter = VideoAdapter(video_provider(sim))
    adapter.poll_once()
    assert video(E1) and video(E2)
    pushes.clear()

    control(sim, "DELETE", E1)
    control(sim, "POST", E2, {"status": "ended"})
    result = adapter.poll_once()

    assert result.changed == 2
    assert video(E1) is None and video(E2) is None
    assert len(pushes) == 2 and e1.id in pushes


def test_an_unknown_event_is_counted_and_not_created(sim, pushes):
    make_event(E1)
    control(sim, "POST", E1, {})
    control(sim, "POST", "sr:match:999999", {})
    row = video_provider(sim)

    result = VideoAdapter(row).poll_once()

    assert result.unknown_event == 1
    assert not Event.objects.filter(urn="sr:match:999999").exists()
    assert Event.objects.count() == 1 and video(E1)
    row.refresh_from_db()
    assert (row.messages, row.unknown_event) == (2, 1)


def test_a_malformed_entry_is_counted_and_the_rest_applies(sim, pushes):
    make_event(E1)
    make_event(E2)
    control(sim, "POST", E1, {})
    control(sim, "POST", E2, {"url": "ftp://elsewhere/x"})
    row = video_provider(sim)

    result = VideoAdapter(row).poll_once()

    assert (result.malformed, result.changed) == (1, 1)
    assert video(E1) and video(E2) is None
    row.refresh_from_db()
    assert (row.messages, row.malformed) == (2, 1)


def test_a_body_that_cannot_be_used_is_counted_and_changes_nothing(sim, pushes, caplog):
    make_event(E1)
    control(sim, "POST", E1, {})
    row = video_provider(sim)
    adapter = VideoAdapter(row)
    adapter.poll_once()
    kept = video(E1)

    sim.raw_body = b'{"generated_at": "yesterday", "streams": []}'
    with caplog.at_level(logging.WARNING, logger=video_adapter.__name__):
        assert adapter.poll_once().outcome == "malformed"
        assert adapter.poll_once().outcome == "malformed"

    assert video(E1) == kept
    row.refresh_from_db()
    assert row.malformed == 2
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


def test_a_wrong_token_leaves_the_videos_untouched_and_is_logged_once(
    clean, pushes, caplog, monkeypatch
):
    server = VideoSimulator(seed=1, offered_share=0.0, token="the-token").start()
    try:
        make_event(E1)
        control(server, "POST", E1, {})
        monkeypatch.setenv("PROVIDER_TOKEN_VIDEO_TEST", "the-token")
        row = video_provider(server, token_env="PROVIDER_TOKEN_VIDEO_TEST")
        adapter = VideoAdapter(row)
        adapter.poll_once()
        kept = video(E1)
        assert kept

        monkeypatch.setenv("PROVIDER_TOKEN_VIDEO_TEST", "stolen")
        control(server, "DELETE", E1)
        with caplog.at_level(logging.WARNING, logger=video_adapter.__name__):
            for _ in range(3):
                assert adapter.poll_once().outcome == "unavailable"

        assert server.answers[401] == 3
        assert video(E1) == kept
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "401" in warnings[0], warnings
        row.refresh_from_db()
        assert row.running and row.heartbeat_at > row.last_message_at

        monkeypatch.setenv("PROVIDER_TOKEN_VIDEO_TEST", "the-token")  # fixed: the removal applies
        assert adapter.poll_once().changed == 1
        assert video(E1) is None
    finally:
        server.close()


def test_an_unreachable_provider_keeps_the_last_streams_and_warns_once_per_outage(
    clean, pushes, caplog
):
    server = VideoSimulator(seed=1, offered_share=0.0).start()
    port = server.port
    make_event(E1)
    control(server, "POST", E1, {})
    adapter = VideoAdapter(video_provider(server), timeout=1)
    adapter.poll_once()
    kept = video(E1)
    server.close()

    with caplog.at_level(logging.WARNING, logger=video_adapter.__name__):
        for _ in range(3):
            assert adapter.poll_once().outcome == "unavailable"
        assert video(E1) == kept
        server = VideoSimulator(port=port, seed=1, offered_share=0.0).start()  # back, empty
        try:
            assert adapter.poll_once().changed == 1
            assert video(E1) is None
        finally:
            server.close()
        adapter.poll_once()  # a second outage: a second warning

    messages = [r.getMessage() for r in caplog.records]
    assert sum("unavailable" in m for m in messages) == 2, messages
    assert sum("answers again" in m for m in messages) == 1, messages


def test_another_providers_stream_is_left_alone(sim, pushes):
    make_event(E1)
    theirs = {**parse_stream(GOOD).metadata("other-video")}
    Event.objects.filter(urn=E1).update(video=theirs)
    control(sim, "POST", E1, {"status": "ended"})

    assert VideoAdapter(video_provider(sim)).poll_once().changed == 0
    assert video(E1) == theirs


def test_the_loop_polls_until_stopped_and_marks_the_provider_stopped(sim, pushes):
    make_event(E1)
    control(sim, "POST", E1, {})
    row = video_provider(sim)
    stop = threading.Event()
    loop = threading.Thread(
        target=video_adapter.run, args=(row,), kwargs={"stop": stop, "poll_s": 0.05}
    )
    loop.start()
    try:
        processes.wait_until(lambda: Event.objects.get(urn=E1).video, timeout=5)
        assert Provider.objects.get(pk=row.pk).running
        control(sim, "DELETE", E1)
        processes.wait_until(lambda: Event.objects.get(urn=E1).video is None, timeout=5)
    finally:
        stop.set()
        loop.join(5)
    assert not loop.is_alive()
    row.refresh_from_db()
    assert not row.running and row.messages >= 1 and sim.answers[304] >= 1


# -- real processes -----------------------------------------------------------------------------


def test_the_simulator_and_the_adapter_as_processes(clean):
    urns = [E1, E2, E3]
    for urn in urns:
        make_event(urn)
    env = {"PROVIDER_TOKEN_VIDEO_PROCESS": "process-token"}
    simulator = processes.start(
        Role(
            "video-simulator",
            [
                sys.executable,
                "manage.py",
                "video_simulator",
                "--port",
                "0",
                "--events-from-catalog",
                "--offered-share",
                "1",
                "--lead-seconds",
                "0",
                "--seed",
                "5",
                "--token-env",
                "PROVIDER_TOKEN_VIDEO_PROCESS",
                "--duration",
                "60",
            ],
        ),
        env=env,
    )
    adapter = None
    try:
        simulator.wait_for("video simulator on ", timeout=30)
        url = re.search(r"video simulator on (http://127\.0\.0\.1:\d+)", simulator.output())[1]
        row = provider(
            name="video", kind="video", api_url=url, token_env="PROVIDER_TOKEN_VIDEO_PROCESS"
        )
        adapter = processes.start(
            Role("video-adapter", [sys.executable, "manage.py", "run_provider", "video"]), env=env
        )
        adapter.wait_for("provider video: polling", timeout=30)
        processes.wait_until(
            lambda: Event.objects.filter(urn__in=urns, video__status="live").count() == 3,
            timeout=10,
            message=f"no videos:\n{adapter.output()[-2000:]}",
        )
        # The poll's status is written just after its catalog change, in its own statement.
        processes.wait_until(
            lambda: Provider.objects.get(pk=row.pk).messages >= 3,
            timeout=10,
            message=f"no status recorded:\n{adapter.output()[-2000:]}",
        )
        row.refresh_from_db()
        assert row.running and row.messages >= 3 and row.malformed == 0
    finally:
        codes = [adapter.stop() if adapter is not None else None, simulator.stop()]
    assert codes == [0, 0], adapter.output() + simulator.output()
    row.refresh_from_db()
    assert not row.running
    assert {e.video["url"].split("/")[2] for e in Event.objects.filter(urn__in=urns)} == {
        "video-simulator.invalid"
    }

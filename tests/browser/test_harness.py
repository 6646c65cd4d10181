"""The harness's set-up check: without the system's Chromium the browser tests fail with the
command that installs it (they are never skipped)."""

from pathlib import Path

from tests.browser import harness


def test_a_missing_chromium_names_the_command_that_installs_it(monkeypatch, tmp_path):
    monkeypatch.setattr(harness, "CHROMIUM", Path(tmp_path / "no-chromium"))
    problem = harness.missing_browser()
    assert problem is not None
    assert "apt-get install -y --no-install-recommends chromium" in problem
    assert "make browser-deps" in problem


def test_with_chromium_and_playwright_present_nothing_is_missing():
    assert harness.CHROMIUM.exists(), "this machine's set-up installs /usr/bin/chromium"
    assert harness.missing_browser() is None


def test_the_browser_is_launched_headless_quiet_and_on_loopback_only():
    args = harness.CHROMIUM_ARGS
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        assert flag in args
    assert "--host-resolver-rules=MAP *.localhost 127.0.0.1" in args
    assert not any(a.startswith("--user-data-dir") for a in args)  # Playwright's fresh one

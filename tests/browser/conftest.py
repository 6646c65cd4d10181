"""Fixtures of the browser tests: the stack (once for the package), Chromium, people at browsers.

A failed test leaves, for each browser page it opened, a screenshot and the page's console log
under ``var/browser/failures/``.
"""

from __future__ import annotations

import os

import pytest

from tests.browser import harness


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def chromium_present():
    """Fails (never skips) the browser tests when the browser or Playwright is missing."""
    problem = harness.missing_browser()
    if problem:
        pytest.fail(problem, pytrace=False)
    harness.clear_failures()


@pytest.fixture(scope="package")
def stack(chromium_present, platform):
    """The real platform on loopback; the tables emptied first (the package shares its data)."""
    from django.conf import settings

    from tests import setup

    setup.platform_reset(platform)
    with harness.stack_running(settings.SHARD_COUNT) as running:
        yield running
    setup.platform_reset(platform)


@pytest.fixture(scope="package")
def browser(stack):
    """Debian's Chromium, headless, driven by Playwright (no browser download, ever)."""
    from playwright.sync_api import sync_playwright

    # Playwright's synchronous API keeps an event loop on this thread; the test's own database
    # calls (setting up staff, reading results) are plain synchronous code all the same. Set
    # after the stack started, so its processes never inherit it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=str(harness.CHROMIUM), headless=True, args=harness.CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def people(request, browser, stack):
    """``people("player")`` opens a new person's browser context (own cookies and storage) at
    1280 px; on failure each one's page is saved with its console log, and the stack's output
    is printed."""
    opened: list[harness.Actor] = []

    def open_one(name: str, width: int = harness.WIDE) -> harness.Actor:
        actor = harness.Actor(browser, name, width)
        opened.append(actor)
        return actor

    yield open_one
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        for actor in opened:
            saved = actor.save_failure(request.node.name)
            print(f"saved {', '.join(str(p) for p in saved)}")
        print(stack.logs())
    for actor in opened:
        actor.close()


# The browser tests share the stack's data across the package (emptied once, by ``stack``): the
# brands without the suite's per-test ``clean``.
@pytest.fixture
def alpha(stack, platform):
    return platform.alpha


@pytest.fixture
def beta(stack, platform):
    return platform.beta

"""The API's docs page (``/api/docs/``, Swagger UI) in a real browser: it draws the schema's
operations from the site's own files, with nothing refused by the strict content security
policy and no request leaving for another site."""

from __future__ import annotations


def test_the_api_docs_page_draws_the_schema_under_the_strict_csp(people, stack):
    reader = people("reader")
    reader.page.goto(stack.url("alpha.localhost", "/api/docs/"))
    reader.page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    for path in ("/api/v1/events/{event_id}", "/api/v1/bets", "/api/v1/sports"):
        reader.page.wait_for_selector(f'.opblock-summary-path[data-path="{path}"]', timeout=30_000)
    reader.shot("api-docs", widths=(1280,))
    problems = [
        line
        for line in reader.console
        if line.startswith(("error:", "pageerror:", "requestfailed:"))
        or "Content Security Policy" in line
    ]
    assert problems == [], problems

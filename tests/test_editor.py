"""The SPARQL editor page in a real browser: YASGUI from the package (nothing fetched from elsewhere), one
ready-to-run tab per stored query, the project's prefixes declared, results shown as a table."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect
from serving import Server
from test_page import browser  # noqa: F401 -- the module's browser fixture: Debian's chromium, headless

from kg import KnowledgeGraph, stored_queries


@pytest.fixture(scope="module")
def editor(browser: Browser, kg_server: Server) -> Iterator[tuple[Page, list[str]]]:  # noqa: F811
    """The editor page, loaded once for the module (a second of the browser's CPU each time), with every URL the
    browser requested on the way; the test that runs a tab comes last."""
    context = browser.new_context(base_url=kg_server.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    requested: list[str] = []

    def note(request: Request) -> None:
        requested.append(request.url)

    page.on("request", note)
    page.goto("/")
    page.wait_for_selector("body[data-ready='true']", timeout=60_000)
    yield page, requested
    context.close()


def test_the_page_and_its_scripts_come_from_this_server_only(editor: tuple[Page, list[str]], kg_server: Server) -> None:
    page, requested = editor
    expect(page.locator(".yasqe .CodeMirror").first).to_be_visible()
    elsewhere = [url for url in requested if not url.startswith((kg_server.url, "data:", "blob:"))]
    assert elsewhere == []
    assert f"{kg_server.url}/static/yasgui/yasgui.min.js" in requested


def test_every_stored_query_is_a_tab(editor: tuple[Page, list[str]]) -> None:
    page, _requested = editor
    names = page.locator(".tabsList .tab a").all_inner_texts()
    assert [name.splitlines()[0].strip() for name in names] == ["SPARQL"] + [query.name for query in stored_queries()]


def test_a_stored_query_tab_runs_with_its_example_and_shows_the_rows(
    editor: tuple[Page, list[str]], shipped: KnowledgeGraph
) -> None:
    page, _requested = editor
    expected = shipped.query("symptoms", condition="peripheral neuropathy")
    page.locator(".tabsList .tab a", has_text="symptoms").click()
    panel = page.locator(".tabPanel.active")
    assert "PREFIX entity: <https://w3id.org/neuropathy-kg/entity/>" in panel.locator(".CodeMirror").inner_text()
    panel.locator(".yasqe_queryButton").click()
    rows = panel.locator(".yasr .dataTable tbody tr")
    expect(rows).to_have_count(len(expected.rows), timeout=60_000)
    shown = panel.locator(".yasr .dataTable tbody").inner_text()
    for row in expected.dicts():
        assert str(row["symptomLabel"]) in shown


def test_the_listing_offers_each_query_ready_to_run_elsewhere(kg_server: Server, shipped: KnowledgeGraph) -> None:
    """`runnable` is plain SPARQL (prefixes declared, examples bound): it gives the stored query's rows anywhere."""
    listing = {entry["name"]: entry for entry in httpx.get(f"{kg_server.url}/queries", timeout=60).json()}
    runnable = listing["dietary-sources"]["runnable"]
    assert "VALUES (?nutrient) { (<https://w3id.org/neuropathy-kg/entity/vitamin-b12>) }" in runnable
    assert set(re.findall(r"\b(\w+):\w", runnable.split("WHERE", 1)[1])) <= set(re.findall(r"PREFIX (\w+):", runnable))
    answer = httpx.post(
        f"{kg_server.url}/sparql",
        data={"query": runnable},
        headers={"Accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert answer.status_code == 200
    expected = shipped.query("dietary-sources", nutrient="vitamin B12")
    assert len(answer.json()["results"]["bindings"]) == len(expected.rows)

"""The query pages in a real browser (Chromium, headless, driven by Playwright). The stored-query page: pick a
stored query, run it, see the rows; follow a describe link; write SPARQL; download the results. The SPARQL editor:
YASGUI from the package (nothing fetched from elsewhere), one ready-to-run tab per stored query, the project's
prefixes declared, results shown as a table. Both pages in one module, so one browser (and one Playwright driver,
a second of CPU to start) serves them all."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect, sync_playwright
from serving import Server

from kg import KnowledgeGraph, stored_queries

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


#: The system browsers, in order of preference. Debian's chromium-headless-shell is Chromium's old headless mode,
#: the browser engine without the full browser's own windows and pages: half the CPU of `chromium --headless` for
#: these tests (measured: 2.8 s against 5.7 s of the browser's processes), the same Blink. Playwright itself runs
#: headless tests in that shell.
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def chromium_path() -> str:
    """The system browser; the test fails (never skips) without it, since CI installs it in .ci/run."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "chromium is missing: install the Debian package (apt-get install -y chromium-headless-shell, or chromium),"
        " as tests/install-system-packages.sh does"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


#: Playwright's limits for one action or expectation (default 30 s and 5 s): a busy machine may need longer to
#: start a worker or lay out a page; a page that never shows what is expected still fails, only later.
BUSY_MACHINE_MS = 120_000


@pytest.fixture(scope="module")
def page(browser: Browser, kg_server: Server) -> Iterator[Page]:
    """One tab for the stored-query page's tests: each starts by loading its own URL, and a new tab costs CPU."""
    context = browser.new_context(base_url=kg_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(BUSY_MACHINE_MS)
    context.set_default_navigation_timeout(BUSY_MACHINE_MS)
    expect.set_options(timeout=BUSY_MACHINE_MS)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture(scope="module")
def client(kg_server: Server) -> Iterator[httpx.Client]:
    """One HTTP client for the module: each new one loads the system's certificates (a tenth of a second of CPU)."""
    with httpx.Client(base_url=kg_server.url, timeout=60) as client:
        yield client


# ---------------------------------------------------------------------- the stored-query page


def test_pick_a_stored_query_run_it_and_see_the_rows(page: Page, shipped: KnowledgeGraph) -> None:
    expected = shipped.query("dietary-sources", nutrient="vitamin B12")
    page.goto("/stored")
    page.wait_for_selector("body[data-ready='true']")
    page.select_option("#stored-name", "dietary-sources")
    page.fill("#parameter-nutrient", "vitamin B12")
    page.click("#run-stored")
    rows = page.locator("#result-table tbody tr")
    expect(rows).to_have_count(len(expected.rows))
    headers = page.locator("#result-table thead th").all_inner_texts()
    assert headers == list(expected.variables)
    source_labels = {str(row["sourceLabel"]) for row in expected.dicts()}
    shown = set(page.locator("#result-table tbody tr td:nth-child(4)").all_inner_texts())
    assert shown == source_labels
    expect(page.locator("#status")).to_contain_text(f"{len(expected.rows)} rows")


def test_entity_links_describe_the_entity(page: Page, shipped: KnowledgeGraph) -> None:
    page.goto("/stored?stored=symptoms&condition=peripheral+neuropathy")
    expect(page.locator("#result-table tbody tr")).to_have_count(
        len(shipped.query("symptoms", condition="peripheral neuropathy"))
    )
    page.locator("#result-table tbody a", has_text="entity:tingling").first.click()
    page.wait_for_url("**/stored?describe=*")
    described = shipped.describe("https://w3id.org/neuropathy-kg/entity/tingling")
    expect(page.locator("#result-table tbody tr")).to_have_count(len(described.rows))
    assert page.input_value("#parameter-entity") == "https://w3id.org/neuropathy-kg/entity/tingling"


def test_write_sparql_and_download_the_results(page: Page, client: httpx.Client) -> None:
    page.goto("/stored")
    page.wait_for_selector("body[data-ready='true']")
    page.check("input[name='mode'][value='sparql']")
    page.fill("#sparql-text", "SELECT ?label WHERE { entity:tingling rdfs:label ?label }")
    page.click("#run-sparql")
    expect(page.locator("#result-table tbody tr")).to_have_count(1)
    expect(page.locator("#result-table tbody td")).to_have_text("tingling")
    links = page.locator("#downloads a")
    assert links.all_inner_texts() == ["CSV", "TSV", "JSON", "XML"]
    href = links.first.get_attribute("href")
    assert href is not None
    csv = client.get(href)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines() == ["label", "tingling"]


def test_graph_results_offer_turtle(page: Page) -> None:
    page.goto("/stored?sparql=" + "CONSTRUCT WHERE { entity:tingling rdfs:label ?l }".replace(" ", "+"))
    expect(page.locator("#results pre")).to_contain_text("tingling")
    assert page.locator("#downloads a").all_inner_texts() == ["Turtle", "N-Triples", "JSON-LD"]


def test_errors_are_shown(page: Page) -> None:
    page.goto("/stored?sparql=SELECT+nonsense")
    expect(page.locator("#status.error")).to_contain_text("400")


def test_a_derived_row_links_to_its_explanation(page: Page, shipped: KnowledgeGraph) -> None:
    """A derived row's derivation cell is a 'why?' link: it runs the derivation query for that subject and object,
    whose rows go down to the quotes of the claims behind the link."""
    page.goto("/stored?stored=consequences&condition=strict+vegetarian+diet")
    why = page.locator(
        "#result-table tbody a.explanation",
        has_text="derivation:strict-vegetarian-diet--leadsTo--peripheral-neuropathy",
    )
    expect(why).to_have_count(1)
    why.click()
    page.wait_for_url("**/stored?stored=derivation*")
    steps = shipped.query("derivation", subject="strict vegetarian diet", object="peripheral neuropathy")
    expect(page.locator("#result-table tbody tr")).to_have_count(len(steps.rows))
    shown = page.locator("#result-table tbody").inner_text()
    assert "One possible cause of peripheral neuropathy is chronic deficiency of vitamin B12" in shown
    assert "A strict vegetarian diet eliminates the only sources of dietary B12" in shown


# ---------------------------------------------------------------------- the SPARQL editor


@pytest.fixture(scope="module")
def editor(browser: Browser, kg_server: Server) -> Iterator[tuple[Page, list[str]]]:
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


def test_the_listing_offers_each_query_ready_to_run_elsewhere(client: httpx.Client, shipped: KnowledgeGraph) -> None:
    """`runnable` is plain SPARQL (prefixes declared, examples bound): it gives the stored query's rows anywhere."""
    listing = {entry["name"]: entry for entry in client.get("/queries").json()}
    runnable = listing["dietary-sources"]["runnable"]
    assert "VALUES (?nutrient) { (<https://w3id.org/neuropathy-kg/entity/vitamin-b12>) }" in runnable
    assert set(re.findall(r"\b(\w+):\w", runnable.split("WHERE", 1)[1])) <= set(re.findall(r"PREFIX (\w+):", runnable))
    answer = client.post("/sparql", data={"query": runnable}, headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200
    expected = shipped.query("dietary-sources", nutrient="vitamin B12")
    assert len(answer.json()["results"]["bindings"]) == len(expected.rows)

"""The query page in a real browser (Debian's chromium, headless, driven by Playwright): pick a stored query,
run it, see the rows; follow a describe link; write SPARQL; download the results."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from serving import Server

from kg import KnowledgeGraph

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
    """One tab for the module: each test starts by loading its own URL, and a new tab costs a second of CPU."""
    context = browser.new_context(base_url=kg_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(BUSY_MACHINE_MS)
    context.set_default_navigation_timeout(BUSY_MACHINE_MS)
    expect.set_options(timeout=BUSY_MACHINE_MS)
    opened = context.new_page()
    yield opened
    context.close()


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


def test_write_sparql_and_download_the_results(page: Page, kg_server: Server) -> None:
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
    csv = httpx.get(f"{kg_server.url}{href}")
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

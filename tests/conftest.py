"""Shared fixtures: the shipped graph, loaded and reasoned once per test session."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving  # tests/serving.py: starting real servers on loopback

from kg import KnowledgeGraph, ValidationReport

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the user's real reasoning cache; the session's own cache is built once, first.

    Every test and every `kg` subprocess (they inherit KG_CACHE_DIR) then opens the same snapshot and reasoning
    cache instead of parsing and reasoning again; tests about building one use folders of their own. Under
    pytest-xdist the workers share one cache in the run's temporary folder: the first builds it while the others
    wait on a lock, then open it (snapshots are written aside and renamed into place, so sharing is safe).
    """
    previous = os.environ.get("KG_CACHE_DIR")
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "kg-cache"
    with (shared / "kg-cache.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        folder.mkdir(exist_ok=True)
        os.environ["KG_CACHE_DIR"] = str(folder)
        KnowledgeGraph.open()
    yield
    if previous is None:
        os.environ.pop("KG_CACHE_DIR", None)
    else:
        os.environ["KG_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def shipped() -> KnowledgeGraph:
    """The packaged ontology and data, reasoned."""
    graph = KnowledgeGraph.load()
    graph.reason()
    return graph


@pytest.fixture(scope="session")
def shipped_validation(shipped: KnowledgeGraph) -> ValidationReport:
    """The shipped graph's SHACL report (pyshacl, seconds), computed once for the tests that read it."""
    return shipped.validate()


@pytest.fixture(scope="session")
def kg_server(shipped: KnowledgeGraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[serving.Server]:
    """`kg serve` in a subprocess on a free 127.0.0.1 port (limits in tests/serving.py), stopped after the session.

    Depends on `shipped` so that the reasoning cache the server reads is already warm.
    """
    server = serving.start_kg_serve(tmp_path_factory.mktemp("kg-serve") / "server.log")
    yield server
    server.stop()


def pytest_configure(config: pytest.Config) -> None:
    """pytest rewrites the asserts of every module of a plugin's distribution (hypothesis, anyio, xdist,
    platformdirs here), and without cached bytecode (PYTHONDONTWRITEBYTECODE) it does so again in each of the
    suite's processes (hypothesis's plugin imports it at the end of every session): 1 to 1.5 s of CPU in each,
    measured. Their asserts are not ours; ours (test files, conftest) keep being rewritten. (`_must_rewrite` is
    pytest's own set of those distributions' modules; without it nothing changes.)"""
    getattr(config.pluginmanager.rewrite_hook, "_must_rewrite", set()).clear()


#: The test files that take longest, longest first (wall seconds in a full run, 1 December 2026, 22:55). pytest-xdist
#: hands whole files to its workers in collection order (addopts: --dist loadfile --no-loadscope-reorder; its own
#: reordering goes by the number of tests, which puts a file of a few long tests last): a long file given out at
#: the end keeps one worker busy after the others are done. The other files follow in their usual order.
SLOWEST_FIRST = (
    "test_load.py",
    "test_remote.py",
    "test_limits.py",
    "test_fast_reason.py",
    "test_page.py",
    "test_protocol.py",
    "test_cli.py",
    "test_properties.py",
    "test_export.py",
    "test_release.py",
    "test_endpoint_limits.py",
    "test_mappings.py",
    "test_derive.py",
    "test_injection.py",
    "test_validate.py",
    "test_fast_validate.py",
    "test_graph.py",
    "test_packaging.py",
    "test_readme.py",
    "test_sandbox.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: number for number, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))

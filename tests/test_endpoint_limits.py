"""The endpoint under load: slow queries do not starve other clients, and a client gone mid-body leaves no trace."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import serving
import uvicorn

from kg import KnowledgeGraph
from kg.server import create_app

#: A query that only the time limit stops (about 10^11 rows counted).
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
#: The endpoint's time limit here: the slow queries must outlast the probes and the third client (a few seconds on a
#: loaded machine); each spins a core until then, so no longer than that.
TIME_LIMIT = 8
#: The endpoint's row limit here: `search` for "a" finds more entities than this in the shipped graph.
ROW_LIMIT = 100

#: One client for the module's requests: each httpx.get() builds a client of its own, loading the system's
#: certificates (60 ms of CPU). No connection is kept alive, so every request still comes on a new connection.
HTTP = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))


class _Server:
    """`kg serve`'s app over the session's graph, served by uvicorn on a thread: its log kept in `records`."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self.port = serving.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.records: list[logging.LogRecord] = []
        app = create_app(graph, timeout=TIME_LIMIT, max_rows=ROW_LIMIT, workers=2, queue_seconds=1)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="info"))

    def log_text(self) -> str:
        return "\n".join(record.getMessage() + ("\nTraceback" if record.exc_info else "") for record in self.records)


@pytest.fixture(scope="module")
def busy_server(shipped: KnowledgeGraph) -> Iterator[_Server]:
    """Two workers, TIME_LIMIT seconds a query (the slow ones outlast the probes), a 1 s queue, ROW_LIMIT rows."""
    server = _Server(shipped)
    handler = logging.Handler()
    handler.emit = server.records.append  # type: ignore[method-assign]
    loggers = [logging.getLogger(name) for name in ("kg.server", "uvicorn.error", "uvicorn")]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger("kg.server").setLevel(logging.INFO)
    thread = threading.Thread(target=server.server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.server.started, "the endpoint did not start within 120 s"
    yield server
    server.server.should_exit = True
    thread.join(timeout=30)
    for logger in loggers:
        logger.removeHandler(handler)


def test_a_third_client_is_answered_while_two_slow_queries_hold_both_workers(busy_server: _Server) -> None:
    """It gets 503 with Retry-After after the queue wait (1 s here), not after the slow queries' TIME_LIMIT."""
    slow_answers: list[int] = []

    def slow() -> None:
        url = f"{busy_server.url}/sparql?" + urllib.parse.urlencode({"query": SLOW})
        slow_answers.append(HTTP.get(url, timeout=120).status_code)

    slow_clients = [threading.Thread(target=slow, daemon=True) for _ in range(2)]
    for client in slow_clients:
        client.start()
    _wait_until_both_workers_are_busy(busy_server)
    serving.stop_spinning_workers(os.getpid())  # they only have to hold the workers, not two cores for 8 s
    third = HTTP.get(f"{busy_server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=120)
    assert all(client.is_alive() for client in slow_clients), "the slow queries ended before the third client"
    assert third.status_code == 503, third.text
    assert "every query worker is busy" in third.text
    assert 1 <= int(third.headers["Retry-After"]) <= TIME_LIMIT
    for client in slow_clients:
        client.join(timeout=180)
    assert slow_answers == [503, 503]  # each stopped at its own time limit
    after = HTTP.get(f"{busy_server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=120)
    assert after.json()["boolean"] is True


def _wait_until_both_workers_are_busy(server: _Server) -> None:
    """Until a probe is turned away: then both workers hold a slow query (a probe served meanwhile is fine)."""
    for _ in range(60):
        probe = HTTP.get(f"{server.url}/sparql", params={"query": "ASK { }"}, timeout=120)
        if probe.status_code == 503:
            return
    pytest.fail("the slow queries never occupied both workers")


def test_a_client_that_disconnects_mid_body_leaves_no_traceback_and_no_500(busy_server: _Server) -> None:
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", busy_server.port), timeout=10) as connection:
            connection.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
                b"Content-Length: 1000\r\n\r\nSELECT * WHERE {"
            )
    answer = HTTP.get(f"{busy_server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=120)
    assert answer.json()["boolean"] is True
    log = busy_server.log_text()
    assert "Traceback" not in log
    assert " 500 " not in log
    assert log.count("POST /sparql 499") == 5


def test_the_endpoint_workers_are_sandboxed(busy_server: _Server) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("seccomp is Linux only")
    answer = HTTP.get(f"{busy_server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=120)
    assert answer.json()["boolean"] is True
    assert _field(os.getpid(), "Seccomp") == "0"  # the server itself keeps its sockets
    workers = [pid for pid in serving.descendants(os.getpid()) if _field(pid, "Seccomp") == "2"]
    assert workers, "no worker of the server runs with a seccomp filter"


def _field(pid: int, name: str) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/tab-separated-values"])
def test_a_stored_query_resource_keeps_the_row_limit(busy_server: _Server, accept: str) -> None:
    """Stored queries skip the screen (the package's text, parameters bound as terms), never the limits."""
    headers = {"Accept": accept}
    over = HTTP.get(f"{busy_server.url}/queries/search", params={"text": "a"}, headers=headers, timeout=60)
    assert over.status_code == 422
    assert f"more than {ROW_LIMIT} rows (the row limit)" in over.text
    within = HTTP.get(f"{busy_server.url}/queries/search", params={"text": "tingl"}, headers=headers, timeout=60)
    assert within.status_code == 200
    assert within.headers["content-type"].startswith(accept)

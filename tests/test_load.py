"""Limits and load: 50 concurrent clients send 2,000 requests without an error; an endless query is cut at the
time limit while other requests keep being answered; the API and the CLI apply the same time and row limits."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.parse
from collections import Counter

import httpx
import pytest
from serving import TEST_TIMEOUT, Server, stop_spinning_workers

from kg import DEFAULT_MAX_ROWS, KnowledgeGraph, QueryTimeoutError, ResultLimitError
from kg.cli import main
from kg.snapshot import ASSERTED_GRAPH, INFERRED_GRAPH

CLIENTS = 50
REQUESTS = 2_000

NEUROPATHY_TYPES = "SELECT ?type ?label WHERE { ?type a nkg:Neuropathy ; rdfs:label ?label } ORDER BY ?label"
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

#: One client for the module's requests: each httpx.get() builds a client of its own, loading the system's
#: certificates (60 ms of CPU). No connection is kept alive, so every request still comes on a new connection.
HTTP = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))

#: The mix each client cycles through: (method, path, parameters or form, Accept). Stored queries with and without
#: a bound parameter, ad-hoc SELECT, ASK by POST and a CONSTRUCT, in five formats; each of the cheaper kind (a few
#: milliseconds of the server's time), since the point is many clients at once, not heavy queries.
MIX = [
    ("GET", "/queries/xref", {"id": "MESH:D014806"}, "application/sparql-results+json"),
    ("GET", "/sparql", {"query": NEUROPATHY_TYPES}, "text/csv"),
    ("POST", "/sparql", {"query": "ASK { entity:tingling a nkg:Symptom }"}, "application/sparql-results+json"),
    ("GET", "/queries/neuropathy-types", {}, "text/tab-separated-values"),
    ("GET", "/queries/dietary-sources", {"nutrient": "vitamin B12"}, "application/sparql-results+xml"),
    ("GET", "/sparql", {"query": "CONSTRUCT WHERE { entity:tingling ?p ?o }"}, "application/n-triples"),
]


def request_bytes(number: int) -> bytes:
    """Request `number` of the mix as it goes on the wire (HTTP/1.1, the connection kept open)."""
    method, path, fields, accept = MIX[number % len(MIX)]
    encoded = urllib.parse.urlencode(fields)
    if method == "GET":
        target = f"{path}?{encoded}" if encoded else path
        return f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n\r\n".encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {accept}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(encoded)}\r\n\r\n{encoded}"
    ).encode()


async def client_session(port: int, numbers: range) -> list[tuple[int, int, bytes]]:
    """One client: one kept-alive connection sending its requests one after the other, as (kind, status, body).

    A plain HTTP/1.1 client on asyncio streams, so that 50 clients cost one thread and little CPU beside the
    server under test."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        for number in numbers:
            writer.write(request_bytes(number))
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            fields = dict(line.split(": ", 1) for line in head[1:] if line)
            lengths = [value for name, value in fields.items() if name.lower() == "content-length"]
            assert len(lengths) == 1, head
            body = await reader.readexactly(int(lengths[0]))
            answers.append((number % len(MIX), int(head[0].split(" ")[1]), body))
    finally:
        writer.close()
        await writer.wait_closed()
    return answers


async def clients(port: int, sessions: list[range]) -> list[list[tuple[int, int, bytes]]]:
    return await asyncio.wait_for(asyncio.gather(*(client_session(port, numbers) for numbers in sessions)), 600)


def test_fifty_concurrent_clients_two_thousand_requests(kg_server: Server) -> None:
    [reference] = asyncio.run(clients(kg_server.port, [range(len(MIX))]))
    assert [status for _, status, _ in reference] == [200] * len(MIX)
    expected = {kind: body for kind, _, body in reference}
    assert all(expected.values())

    started = time.monotonic()
    sessions = asyncio.run(clients(kg_server.port, [range(client, REQUESTS, CLIENTS) for client in range(CLIENTS)]))
    elapsed = time.monotonic() - started
    answers = [answer for session in sessions for answer in session]

    statuses = Counter(status for _, status, _ in answers)
    assert len(answers) == REQUESTS
    assert statuses == {200: REQUESTS}, statuses
    wrong = [kind for kind, _, body in answers if body != expected[kind]]
    assert wrong == [], f"{len(wrong)} answers differ from the first answer to the same request"
    print(f"{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1f} s ({REQUESTS / elapsed:.0f}/s)")

    after = HTTP.get(f"{kg_server.url}/sparql", params={"query": "ASK {}"})
    assert after.status_code == 200


def test_endless_query_is_cut_at_the_time_limit_while_others_are_answered(kg_server: Server) -> None:
    outcome: dict[str, object] = {}

    def endless() -> None:
        started = time.monotonic()
        response = HTTP.post(f"{kg_server.url}/sparql", data={"query": ENDLESS}, timeout=60)
        outcome["status"] = response.status_code
        outcome["text"] = response.text
        outcome["seconds"] = time.monotonic() - started

    runner = threading.Thread(target=endless)
    runner.start()
    time.sleep(0.2)  # let the endless query reach its worker
    stop_spinning_workers(kg_server.process.pid)  # it only has to last, not to take a core for 10 s
    others: list[tuple[int, float]] = []
    with httpx.Client(base_url=kg_server.url, timeout=30) as client:
        while runner.is_alive():
            started = time.monotonic()
            response = client.get("/queries/symptoms", params={"condition": "peripheral neuropathy"})
            others.append((response.status_code, time.monotonic() - started))
            time.sleep(0.2)  # answered all along is the point, not how many: a request every 0.2 s shows it
    runner.join()

    assert outcome["status"] == 503
    assert f"stopped after {TEST_TIMEOUT:g} s (the time limit)" in str(outcome["text"])
    # Cut by the server's limit, not by the client's 60 s (slack for a busy machine).
    assert TEST_TIMEOUT <= float(str(outcome["seconds"])) < TEST_TIMEOUT + 30
    assert len(others) >= 5
    assert all(status == 200 for status, _ in others)
    # The other worker kept answering: with both workers held, each would wait for the endless query's limit.
    assert max(seconds for _, seconds in others) < TEST_TIMEOUT / 2
    again = HTTP.get(f"{kg_server.url}/sparql", params={"query": "ASK {}"})
    assert again.status_code == 200


# ---------------------------------------------------------------------- the same limits on the API and the CLI


def test_api_time_limit_stops_an_endless_query(shipped: KnowledgeGraph) -> None:
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match=r"stopped after 0\.5 s \(the time limit\)"):
        shipped.query(ENDLESS, timeout=0.5)
    assert time.monotonic() - started < 60  # the endless query never ends by itself; slack for a busy machine
    # A fresh worker took the killed one's place (starting one may take seconds on a busy machine).
    answer = shipped.query(NEUROPATHY_TYPES, timeout=60)
    assert len(answer.rows) >= 2
    stored = shipped.query("symptoms", condition="peripheral neuropathy", timeout=60)
    assert stored.rows == shipped.query("symptoms", condition="peripheral neuropathy").rows


def test_api_row_limit(shipped: KnowledgeGraph) -> None:
    with pytest.raises(ResultLimitError, match="more than 10 rows"):
        shipped.query("SELECT * WHERE { ?s ?p ?o }", max_rows=10)
    with pytest.raises(ResultLimitError):
        shipped.query("symptoms", condition="peripheral neuropathy", max_rows=3)
    with pytest.raises(ResultLimitError):
        shipped.query("CONSTRUCT WHERE { ?s ?p ?o }", max_rows=100)
    everything = shipped.query("SELECT * WHERE { ?s ?p ?o }", max_rows=None)
    # every triple of the reasoned graph, counted on its N-Triples (an rdflib copy of it takes half a second)
    lines = {line for graph in (ASSERTED_GRAPH, INFERRED_GRAPH) for line in shipped.ntriples(graph).splitlines()}
    assert len(everything.rows) == len(lines)
    assert DEFAULT_MAX_ROWS == 10_000


def test_cli_limits_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sparql", ENDLESS, "--timeout", "0.5"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("kg: error: query: stopped after 0.5 s (the time limit)")
    assert error.count("\n") == 1
    assert main(["sparql", "SELECT * WHERE { ?s ?p ?o }", "--max-rows", "5"]) == 2
    assert "more than 5 rows (the row limit)" in capsys.readouterr().err

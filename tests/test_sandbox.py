"""No ad-hoc query reaches the network: a corpus of SERVICE smuggling attempts through the API, `kg sparql` and
`kg serve`, each watched by a loopback server that records every request; and the sandbox that guarantees it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving

from kg import KnowledgeGraph, QueryError
from kg.limits import QueryWorkers
from kg.sandbox import network_isolation
from kg.worker import GraphSource

REMOTE = "http://example.org/remote-secret"


@pytest.fixture(scope="module")
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server recording every request: (its base URL, the paths requested)."""
    with serving.recording_endpoint(REMOTE) as recording:
        yield recording


def escape(text: str) -> str:
    """Every character as a SPARQL codepoint escape."""
    return "".join(f"\\u{ord(character):04X}" for character in text)


def attempts(base: str) -> dict[str, str]:
    """SERVICE smuggling attempts against `base` (ends with a slash): escapes in every position, case, comments,
    nesting, prefixed and relative IRIs. Each must be refused or come back empty, and none may send a request."""
    url = base + "sparql"
    pattern = "{ ?s ?p ?o }"
    host = base.removeprefix("http://")
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{url}> {pattern} }}",
        "lower case": f"SELECT * WHERE {{ service <{url}> {pattern} }}",
        "mixed case": f"SELECT * WHERE {{ SeRvIcE <{url}> {pattern} }}",
        "no spaces": f"SELECT*WHERE{{SERVICE<{url}>{pattern}}}",
        "first letter escaped": f"SELECT * WHERE {{ \\u0053ERVICE <{url}> {pattern} }}",
        "last letter escaped": f"SELECT * WHERE {{ SERVIC\\u0045 <{url}> {pattern} }}",
        "middle letter escaped": f"SELECT * WHERE {{ SERV\\u0049CE <{url}> {pattern} }}",
        "long escape": f"SELECT * WHERE {{ \\U00000053ERVICE <{url}> {pattern} }}",
        "lower-case escape": f"SELECT * WHERE {{ \\u0073ervice <{url}> {pattern} }}",
        "keyword all escaped": f"SELECT * WHERE {{ {escape('SERVICE')} <{url}> {pattern} }}",
        "escape inside the IRI": f"SELECT * WHERE {{ SERVICE <{base}\\u0073parql> {pattern} }}",
        "IRI all escaped": f"SELECT * WHERE {{ SERVICE <{escape(url)}> {pattern} }}",
        "escaped brackets around the IRI": f"SELECT * WHERE {{ SERVICE \\u003C{url}\\u003E {pattern} }}",
        "prefixed name": f"PREFIX remote: <{base}> SELECT * WHERE {{ SERVICE remote:sparql {pattern} }}",
        "escaped prefix declaration": (
            f"PREFIX r: <http://{escape(host)}> SELECT * WHERE {{ SERVICE r:sparql {pattern} }}"
        ),
        "escaped local name": f"PREFIX r: <{base}> SELECT * WHERE {{ SERVICE r:\\u0073parql {pattern} }}",
        "BASE-relative IRI": f"BASE <{base}> SELECT * WHERE {{ SERVICE <sparql> {pattern} }}",
        "escaped BASE": f"BASE <{escape(base)}> SELECT * WHERE {{ SERVICE <sparql> {pattern} }}",
        "variable endpoint": f"SELECT * WHERE {{ VALUES ?where {{ <{url}> }} SERVICE ?where {pattern} }}",
        "escaped variable name": f"SELECT * WHERE {{ VALUES ?\\u0077 {{ <{url}> }} SERVICE ?w {pattern} }}",
        "BIND endpoint": f"SELECT * WHERE {{ BIND(<{url}> AS ?where) SERVICE ?where {pattern} }}",
        "comment between tokens": f"SELECT * WHERE {{ SERVICE # a comment\n <{url}> {pattern} }}",
        "comment ended by an escaped newline": f"SELECT * WHERE {{ # \\u000A SERVICE <{url}> {pattern}\n }}",
        "string closed by an escaped quote": (
            f'SELECT * WHERE {{ BIND("\\u0022) }} SERVICE <{url}> {pattern} #" AS ?z) }}'
        ),
        "IRI closed by an escaped bracket": f"SELECT * WHERE {{ ?a ?b <http://a\\u003E SERVICE <{url}> {pattern} }}",
        "SILENT": f"SELECT * WHERE {{ SERVICE SILENT <{url}> {pattern} }}",
        "escaped SILENT": f"SELECT * WHERE {{ {escape('SERVICE')} {escape('SILENT')} <{url}> {pattern} }}",
        "nested groups": f"SELECT * WHERE {{ {{ {{ {{ SERVICE <{url}> {pattern} }} }} }} }}",
        "OPTIONAL": f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE <{url}> {pattern} }} }} LIMIT 1",
        "UNION": f"SELECT * WHERE {{ {{ ?a ?b ?c }} UNION {{ SERVICE <{url}> {pattern} }} }} LIMIT 1",
        "MINUS": f"SELECT * WHERE {{ ?a ?b ?c MINUS {{ SERVICE <{url}> {pattern} }} }} LIMIT 1",
        "FILTER EXISTS": f"SELECT * WHERE {{ ?a ?b ?c FILTER EXISTS {{ SERVICE <{url}> {pattern} }} }} LIMIT 1",
        "GRAPH": f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{url}> {pattern} }} }}",
        "subquery": f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {pattern} }} }} }}",
        "ASK": f"ASK {{ SERVICE <{url}> {pattern} }}",
        "CONSTRUCT": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {pattern} }}",
        "DESCRIBE": f"DESCRIBE ?s WHERE {{ SERVICE <{url}> {pattern} }}",
        "FROM a URL": f"SELECT * FROM <{url}> WHERE {pattern}",
        "FROM NAMED escaped": f"SELECT * {escape('FROM')} NAMED <{url}> WHERE {{ GRAPH ?g {pattern} }}",
        "LOAD": f"LOAD <{url}>",
        "escaped LOAD": f"{escape('LOAD')} <{url}>",
        "INSERT with SERVICE": f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {pattern} }}",
    }


#: Attempts that may legitimately come back as an empty answer rather than an error (SILENT swallows failures).
SILENT = {"SILENT", "escaped SILENT"}


def _assert_harmless(what: str, answer: str, failed: bool) -> None:
    assert REMOTE not in answer, what
    if what not in SILENT:
        assert failed, f"{what}: not refused: {answer[:300]}"


def test_the_corpus_covers_every_position() -> None:
    names = attempts("http://127.0.0.1:9/")
    assert len(names) >= 40
    assert all("\\u" in text or "\\U" in text for name, text in names.items() if "escape" in name)


@pytest.mark.parametrize("timeout", [10.0, None], ids=["default limit", "no limit"])
def test_no_attempt_reaches_the_network_through_the_api(
    shipped: KnowledgeGraph, recorder: tuple[str, list[str]], timeout: float | None
) -> None:
    base, hits = recorder
    before = len(hits)
    for what, sparql in attempts(base).items():
        try:
            result = shipped.query(sparql, timeout=timeout)
        except QueryError as error:
            _assert_harmless(what, str(error), failed=True)
        else:
            _assert_harmless(what, str(result.rows), failed=False)
            assert not result.rows, what
    assert hits[before:] == []


def test_no_attempt_reaches_the_network_through_kg_sparql(recorder: tuple[str, list[str]]) -> None:
    """The `kg` program's own path (main() reading sys.argv: it confines itself and runs the query in-process),
    for every attempt in one process; then three attempts as real `kg sparql` runs, with and without a limit."""
    base, hits = recorder
    before = len(hits)
    corpus = attempts(base)
    program = (
        "import json, sys\nfrom kg import cli\nfor text in json.loads(sys.stdin.read()):\n"
        "    sys.argv = ['kg', 'sparql', text, '--format', 'json']\n"
        "    print('EXIT', cli.main(), flush=True)\n"
        "from kg.sandbox import confined\nprint('CONFINED', confined())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], input=json.dumps(list(corpus.values())), capture_output=True, text=True
    )
    codes = [line for line in done.stdout.splitlines() if line.startswith("EXIT ")]
    assert len(codes) == len(corpus), done.stderr[-2000:]
    for (what, _text), code in zip(corpus.items(), codes, strict=True):
        _assert_harmless(what, done.stdout, failed=code != "EXIT 0")
    assert "Traceback" not in done.stderr
    if network_isolation().startswith("seccomp"):
        assert "CONFINED True" in done.stdout  # the queries ran in the process that had cut itself off
    for what, options in (("plain", []), ("first letter escaped", ["--timeout", "0"]), ("UNION", ["--timeout", "30"])):
        run = subprocess.run([sys.executable, "-m", "kg.cli", "sparql", corpus[what], *options], capture_output=True)
        assert run.returncode == 2, (what, run.stderr)
        assert run.stderr.decode().count("\n") == 1
        assert REMOTE.encode() not in run.stdout
    assert hits[before:] == []


def test_no_attempt_reaches_the_network_through_the_endpoint(
    kg_server: serving.Server, recorder: tuple[str, list[str]]
) -> None:
    base, hits = recorder
    before = len(hits)
    for what, sparql in attempts(base).items():
        url = f"{kg_server.url}/sparql?" + urllib.parse.urlencode({"query": sparql})
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                status, answer = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read().decode()
        assert status in (200, 400, 403), (what, answer)
        _assert_harmless(what, answer, failed=status != 200)
    assert hits[before:] == []
    assert "Traceback" not in kg_server.log_text()


# ---------------------------------------------------------------------- the sandbox itself, without the screen


def test_network_isolation_says_seccomp_on_linux() -> None:
    if sys.platform.startswith("linux") and os.uname().machine in ("x86_64", "aarch64"):
        assert network_isolation().startswith("seccomp-bpf")
    else:
        assert network_isolation().startswith("lexical screen only")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux only")
def test_a_confined_process_cannot_reach_the_network_even_when_oxigraph_runs_service(
    recorder: tuple[str, list[str]],
) -> None:
    """Oxigraph called directly, no screen in the way: the filter alone stops the request."""
    base, hits = recorder
    before = len(hits)
    program = (
        "import socket, sys, pyoxigraph\nfrom kg.sandbox import confine_network\nassert confine_network()\n"
        "socket.socketpair()  # AF_UNIX still works: a worker's pipe to its parent\n"
        "for family in (socket.AF_INET, socket.AF_INET6):\n"
        "    try:\n        socket.socket(family)\n        sys.exit('a socket opened')\n"
        "    except PermissionError:\n        pass\n"
        "try:\n    print(list(pyoxigraph.Store().query(sys.argv[1])))\nexcept OSError as error:\n"
        "    print('refused', error)\n"
    )
    sparql = f"SELECT * WHERE {{ SERVICE <{base}sparql> {{ ?s ?p ?o }} }}"
    done = subprocess.run([sys.executable, "-c", program, sparql], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused"), done.stdout
    assert hits[before:] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux only")
def test_a_query_worker_cannot_reach_the_network_even_unscreened(
    shipped: KnowledgeGraph, recorder: tuple[str, list[str]]
) -> None:
    """A query marked trusted skips the screen: only the worker's sandbox stands between it and the network."""
    base, hits = recorder
    before = len(hits)
    pool = QueryWorkers(GraphSource(ntriples=b""), size=1)
    try:
        with pytest.raises(QueryError, match="not permitted"):
            pool.run(
                f"SELECT * WHERE {{ SERVICE <{base}sparql> {{ ?s ?p ?o }} }}",
                {},
                "query",
                timeout=60,
                max_rows=None,
                trusted=True,
            )
        assert pool.isolated is True
    finally:
        pool.close()
    assert hits[before:] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux only")
def test_every_query_worker_runs_under_the_seccomp_filter(shipped: KnowledgeGraph) -> None:
    shipped.query("ASK { ?s ?p ?o }", timeout=60)
    filtered = [pid for pid in _grandchildren() if _status(pid, "Seccomp") == "2"]
    assert filtered, "no query worker of this process runs with a seccomp filter"


def _grandchildren() -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    children = {pid for pid, parent in parents.items() if parent == os.getpid()}
    return [pid for pid, parent in parents.items() if parent in children]


def _status(pid: int, field: str) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""

"""Throughput of `kg serve` beside `oxigraph serve-read-only` on the same data and queries, at several concurrencies.

    python benchmarks/serve.py                                    # the packaged graph, reasoned
    python benchmarks/serve.py --data /tmp/bench-shared/g-100k.ttl --concurrency 10,50 --seconds 15

The servers hold the same triples: `kg export --inferred --format ntriples` of the graph `kg serve` reasons, loaded
with `oxigraph load` (and optimised) for `oxigraph serve-read-only`, and posted to an in-memory `oxigraph serve`
(the engine kg's workers hold, so there the two differ only in what surrounds it). All get the same query texts:
every stored query with its example parameters bound (the `runnable` text `GET /queries` lists) plus a few
ad-hoc ones, sent in turn as `GET ?query=` asking for SPARQL JSON (Turtle for graphs). A warm-up pass checks that
all give the same number of rows for every query and drops the queries any refuses (kg's row limit, say). The
client is one asyncio process speaking HTTP/1.1 with keep-alive over raw sockets; its own CPU time per request
(client CPU µs) is reported, so it can be told apart from the servers, and so is each server's CPU time (its
process and all its workers) per answer, which a busy machine changes less than requests per second.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: The light mix: queries each server answers in a few milliseconds, so that the cost of a request (HTTP, dispatch,
#: serialisation) shows rather than the engine's.
LIGHT = ("ask", "count", "queries/xref", "queries/claims-by-source", "queries/symptoms")
AD_HOC = {
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "ask": "ASK { ?s a ?type }",
    "labels": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?label ?s LIMIT 200",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 100",
}
JSON_RESULTS = "application/sparql-results+json"


@dataclass
class Tally:
    """What one run of one server at one concurrency saw."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0

    def row(self, label: str) -> str:
        done = len(self.latencies)
        ordered = sorted(self.latencies) or [0.0]
        p50 = ordered[len(ordered) // 2] * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        rate = done / self.seconds if self.seconds else 0.0
        cpu = self.client_cpu / max(1, done + sum(self.errors.values())) * 1e6
        errors = ", ".join(f"{k}×{v}" for k, v in sorted(self.errors.items())) or "0"
        server = self.server_cpu / max(1, done) * 1000
        shown = f"{rate:,.0f}" if rate >= 10 else f"{rate:.1f}"
        return f"| {label} | {shown} | {p50:.1f} | {p99:.1f} | {errors} | {server:.2f} | {cpu:.0f} |"


class Connection:
    """One keep-alive HTTP/1.1 connection: send a GET, read the status and the whole body (length or chunked)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str, accept: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        request = f"GET {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: {accept}\r\n\r\n"
        self.writer.write(request.encode("latin-1"))
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                parts.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(part[:-2] for part in parts)
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    path: str  # where queries go: /sparql for kg, /query for Oxigraph
    pid: int = 0

    def target(self, sparql: str) -> str:
        return f"{self.path}?{urllib.parse.urlencode({'query': sparql})}"


def accept_for(sparql: str) -> str:
    return "text/turtle" if "CONSTRUCT" in sparql or "DESCRIBE" in sparql else JSON_RESULTS


async def load(server: Server, mix: list[str], concurrency: int, seconds: float) -> Tally:
    """`concurrency` clients each asking the mix in turn (each from its own offset) for `seconds`."""
    tally = Tally()
    targets = [(server.target(q), accept_for(q)) for q in mix]
    stop = time.monotonic() + seconds
    cpu = time.process_time()
    server_cpu = tree_cpu(server.pid)
    started = time.monotonic()

    async def client(offset: int) -> None:
        connection = Connection("127.0.0.1", server.port)
        index = offset
        while time.monotonic() < stop:
            target, accept = targets[index % len(targets)]
            index += 1
            began = time.perf_counter()
            try:
                status, _ = await connection.get(target, accept)
            except (OSError, asyncio.IncompleteReadError) as error:
                connection.close()
                tally.errors[type(error).__name__] = tally.errors.get(type(error).__name__, 0) + 1
                continue
            if status == 200:
                tally.latencies.append(time.perf_counter() - began)
            else:
                tally.errors[str(status)] = tally.errors.get(str(status), 0) + 1
        connection.close()

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    tally.seconds = time.monotonic() - started
    tally.client_cpu = time.process_time() - cpu
    tally.server_cpu = tree_cpu(server.pid) - server_cpu
    return tally


def rows_of(status: int, body: bytes) -> str:
    if status != 200:
        return f"HTTP {status}"
    if body.startswith(b"{"):
        document = json.loads(body)
        return str(document.get("boolean", len(document.get("results", {}).get("bindings", []))))
    return f"{sum(1 for line in body.splitlines() if line.strip().endswith(b' .'))} lines"


async def warm_up(servers: list[Server], queries: dict[str, str]) -> list[str]:
    """Ask every query once of each server; keep those both answer alike (Turtle is compared by its size only)."""
    kept = []
    for name, sparql in queries.items():
        answers = []
        for server in servers:
            connection = Connection("127.0.0.1", server.port)
            started = time.perf_counter()
            status, body = await connection.get(server.target(sparql), accept_for(sparql))
            answers.append((rows_of(status, body), time.perf_counter() - started))
            connection.close()
        same = all(status == answers[0][0] for status, _ in answers) and not answers[0][0].startswith("HTTP")
        graph = accept_for(sparql) != JSON_RESULTS
        print(
            f"  {name}: "
            + ", ".join(f"{s.name} {a} in {t * 1000:.0f} ms" for s, (a, t) in zip(servers, answers, strict=True)),
            "" if same or graph else "(left out)",
            file=sys.stderr,
        )
        if same or (graph and not any(a.startswith("HTTP") for a, _ in answers)):
            kept.append(sparql)
    return kept


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by process `root` and every live descendant (a server's workers included)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        total += times.get(pid, 0.0)
        frontier += [child for child, parent in parents.items() if parent == pid]
    return total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], limit: float = 900) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with status {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {limit:g} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="an extra RDF file (say /tmp/bench-shared/g-100k.ttl); default: packaged only")
    parser.add_argument("--concurrency", default="10,50", help="comma-separated client counts (default: 10,50)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured run (default: 10)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs per server and concurrency")
    parser.add_argument("--mix", default="all,light", help="query mixes to run: all, light (default: both)")
    parser.add_argument("--workers", type=int, default=2, help="kg serve --workers (default: 2)")
    parser.add_argument("--kg-args", default="", help="more arguments for kg serve")
    args = parser.parse_args()
    data = ["--data", args.data] if args.data else []
    scratch = Path(tempfile.mkdtemp(prefix="kg-serve-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        kg = Server("kg serve", free_port(), "/sparql")
        command = [sys.executable, "-m", "kg.cli", "serve", "--port", str(kg.port), "--workers", str(args.workers)]
        log = open(scratch / "kg.log", "wb")  # noqa: SIM115 -- the server writes to it until the end
        processes.append(subprocess.Popen(command + data + args.kg_args.split(), stderr=log, stdout=log))
        ntriples = scratch / "graph.nt"
        export = [sys.executable, "-m", "kg.cli", "export", "--inferred", "--format", "ntriples"]
        subprocess.run([*export, "-o", str(ntriples), *data], check=True)
        oxigraph = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
        store = scratch / "store"
        subprocess.run([oxigraph, "load", "--location", str(store), "--file", str(ntriples)], check=True)
        subprocess.run([oxigraph, "optimize", "--location", str(store)], check=True)  # its best read layout
        ox = Server("oxigraph", free_port(), "/query")
        ox_command = [oxigraph, "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{ox.port}"]
        processes.append(subprocess.Popen(ox_command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
        # Oxigraph's in-memory store too (`oxigraph serve` without a location, loaded over HTTP): the engine kg's
        # workers hold, so the two differ only in what surrounds it.
        memory = Server("oxigraph in memory", free_port(), "/query")
        memory_command = [oxigraph, "serve", "--bind", f"127.0.0.1:{memory.port}"]
        processes.append(subprocess.Popen(memory_command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL))
        wait_for(f"http://127.0.0.1:{ox.port}/query?query=ASK%7B%7D", processes[1])
        wait_for(f"http://127.0.0.1:{memory.port}/query?query=ASK%7B%7D", processes[2])
        upload = urllib.request.Request(
            f"http://127.0.0.1:{memory.port}/store?default",
            data=ntriples.read_bytes(),
            headers={"Content-Type": "application/n-triples"},
            method="POST",
        )
        urllib.request.urlopen(upload, timeout=600).read()
        wait_for(f"http://127.0.0.1:{kg.port}/queries", processes[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{kg.port}/queries") as response:
            stored = {f"queries/{q['name']}": q["runnable"] for q in json.load(response) if q["runnable"]}
        servers = [
            dataclasses.replace(server, pid=process.pid)
            for server, process in zip([kg, ox, memory], processes, strict=True)
        ]
        kg = servers[0]
        print(f"triples: {sum(1 for _ in ntriples.open('rb'))}; warm-up (rows per query):", file=sys.stderr)
        queries = {**stored, **AD_HOC}
        kept = asyncio.run(warm_up(servers, queries))
        mixes = {"all": kept, "light": [queries[name] for name in LIGHT if queries.get(name) in kept]}
        print(f"\ncores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
        rates: dict[tuple[str, str, int], list[float]] = {}
        for mix_name in args.mix.split(","):
            mix = mixes[mix_name]
            print(f"\nmix {mix_name!r}: {len(mix)} queries\n")
            print("| server, clients | requests/s | p50 ms | p99 ms | errors | server CPU ms | client CPU µs |")
            print("|---|---:|---:|---:|---|---:|---:|")
            for concurrency in (int(c) for c in args.concurrency.split(",")):
                for _ in range(args.rounds):
                    for server in servers:
                        tally = asyncio.run(load(server, mix, concurrency, args.seconds))
                        key = (mix_name, server.name, concurrency)
                        rates.setdefault(key, []).append(len(tally.latencies) / tally.seconds)
                        print(tally.row(f"{server.name}, {concurrency}"), flush=True)
        print()
        for mix_name, _, concurrency in sorted({(m, "", c) for m, _, c in rates}):
            kg_rate = statistics.median(rates[(mix_name, "kg serve", concurrency)])
            others = {
                other.name: statistics.median(rates[(mix_name, other.name, concurrency)]) for other in servers[1:]
            }
            ratios = [f"÷ {name} = {kg_rate / max(rate, 1e-9):.2f}×" for name, rate in others.items()]
            print(f"mix {mix_name}, concurrency {concurrency}: kg serve " + ", ".join(ratios))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()

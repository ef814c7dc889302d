"""Starvation under load: `kg serve` with two workers, two slow queries, and fast clients asking meanwhile.

    python benchmarks/load.py                      # the default queue wait (2 s)
    python benchmarks/load.py --queue-seconds 0    # the old behaviour: wait for a worker up to the whole limit

Prints, for the fast clients, how many were answered, how many got 503 (with Retry-After), and their latencies.
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

import httpx

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
FAST = "ASK { ?s ?p ?o }"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0, help="the server's time limit (default: 10)")
    parser.add_argument("--queue-seconds", type=float, default=2.0, help="the server's queue wait (default: 2)")
    parser.add_argument("--fast-clients", type=int, default=4, help="clients asking fast queries (default: 4)")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "kg.cli", "serve", "--port", str(port), "--workers", "2"]
    command += ["--timeout", str(args.timeout), "--queue-seconds", str(args.queue_seconds)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/sparql"
    try:
        _wait_for(base)
        httpx.get(base, params={"query": FAST}, timeout=60)  # both workers up
        httpx.get(base, params={"query": FAST}, timeout=60)
        slow = [threading.Thread(target=_ask, args=(base, SLOW, []), daemon=True) for _ in range(2)]
        for thread in slow:
            thread.start()
        time.sleep(1.0)  # the slow queries now hold both workers
        answers: list[tuple[int, float, str]] = []
        fast = [
            threading.Thread(target=_ask, args=(base, FAST, answers), daemon=True) for _ in range(args.fast_clients)
        ]
        for thread in fast:
            thread.start()
        for thread in fast:
            thread.join()
        for thread in slow:
            thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    latencies = [seconds for _status, seconds, _retry in answers]
    print(f"time limit {args.timeout:g} s, queue wait {args.queue_seconds:g} s, two slow queries holding both workers")
    print(f"fast clients: {len(answers)}; statuses {sorted(status for status, _s, _r in answers)}")
    print(f"Retry-After: {sorted({retry for _st, _s, retry in answers if retry})}")
    print(f"latency: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s")


def _ask(base: str, query: str, answers: list[tuple[int, float, str]]) -> None:
    started = time.monotonic()
    response = httpx.get(base + "?" + urllib.parse.urlencode({"query": query}), timeout=300)
    answers.append((response.status_code, time.monotonic() - started, response.headers.get("Retry-After", "")))


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(base, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("kg serve did not start within 120 s")


if __name__ == "__main__":
    main()

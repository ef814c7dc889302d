"""Starting real servers for the tests: `kg serve` and the Oxigraph server, on loopback ports, stopped after."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The limits the test server runs with. The time limit includes waiting for a worker, so it must hold on a
#: machine busy with other work (at 2 s, 50 concurrent clients on a loaded 2-core machine got 503s); the
#: endless-query test waits for it once.
TEST_TIMEOUT = 10.0
TEST_MAX_ROWS = 1_000


@dataclass
class Server:
    """A server process listening on 127.0.0.1:`port`, its log in `log`."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(command: list[str], port: int, log: Path, ready_path: str, seconds: float = 90.0) -> Server:
    """Run `command`, and wait until GET `ready_path` answers 200; fail with the server's log if it never does."""
    with log.open("wb") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = Server(process, port, log)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{command[0]} exited with {process.returncode} before answering:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}{ready_path}", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    server.stop()
    pytest.fail(f"{command[0]} did not answer within {seconds:g} s:\n{server.log_text()}")


def start_kg_serve(log: Path) -> Server:
    """`kg serve` on a free loopback port, with the test limits."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "kg.cli",
        "serve",
        "--port",
        str(port),
        "--timeout",
        str(TEST_TIMEOUT),
        "--max-rows",
        str(TEST_MAX_ROWS),
        "--workers",
        "2",
    ]
    return start(command, port, log, "/sparql")


def oxigraph_binary() -> str:
    """The Oxigraph server from the `oxigraph` PyPI package (a test dependency); fails clearly when missing."""
    beside_python = Path(sys.executable).parent / "oxigraph"
    found = str(beside_python) if beside_python.exists() else shutil.which("oxigraph")
    if found is None:
        pytest.fail(
            "the Oxigraph server is missing: install the test extra (pip install -e '.[test]'), "
            "which brings the 'oxigraph' package and its 'oxigraph' command"
        )
    return found


def start_oxigraph(log: Path) -> Server:
    """An in-memory Oxigraph server on a free loopback port (query: /query, update: /update, store: /store)."""
    port = free_port()
    command = [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}"]
    return start(command, port, log, "/query?query=ASK%7B%7D")

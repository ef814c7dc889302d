"""Starting real servers for the tests (`kg serve`, the Oxigraph server, Virtuoso) on loopback ports, stopped
after; finding the command-line clients the tests drive (Jena's rsparql)."""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The limits the test server runs with: short enough that the endless-query test stays quick.
TEST_TIMEOUT = 2.0
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


#: How to install Jena's command-line tools (rsparql) on Debian; .ci/run does it.
JENA_INSTALL = "apt-get install -y --no-install-recommends libapache-jena-java default-jre-headless"
_JENA_JARS = Path("/usr/share/java")
#: A quick JVM: these commands run for a second or two, so the optimising compiler would only cost time.
_QUICK_JVM = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def rsparql_command(scratch: Path) -> list[str]:
    """Jena's `rsparql` (a SPARQL 1.1 Protocol client that parses each query before sending it): the command when
    one is on PATH, else the jars of Debian's libapache-jena-java (which ships no scripts) run with `java`.

    Debian builds jena-core with its Xerces classes moved to the package `xerces` but their message files left
    under `org/apache/jena/ext/xerces`, and Xerces then fails while starting; a copy of those files where the
    classes look for them (in `scratch`) makes it start.
    """
    found = shutil.which("rsparql")
    if found is not None:
        return [found]
    java = shutil.which("java")
    if java is None or not (_JENA_JARS / "jena-cmds.jar").exists():
        pytest.fail(f"Jena's rsparql is missing: install it with `{JENA_INSTALL}` (as root)")
    messages = scratch / "jena-xerces-messages"
    with zipfile.ZipFile(_JENA_JARS / "jena-core.jar") as jar:
        for name in jar.namelist():
            if name.startswith("org/apache/jena/ext/xerces/") and not name.endswith("/"):
                target = messages / "xerces" / name.removeprefix("org/apache/jena/ext/xerces/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(jar.read(name))
    classpath = [str(messages), *_debian_jars("libapache-jena-java")]
    return [java, *_QUICK_JVM, "-cp", ":".join(classpath), "arq.rsparql"]


def _debian_jars(package: str) -> list[str]:
    """The jars of an installed Debian package and of every package it depends on, each once (the unversioned
    names), leaving out the logging bridges that clash with each other."""
    clashing = ("slf4j-jcl", "slf4j-jdk14", "slf4j-log4j12", "slf4j-migrator", "slf4j-nop", "log4j-over-slf4j")
    seen: set[str] = set()
    waiting = [package]
    jars: set[str] = set()
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        listed = subprocess.run(["dpkg-query", "-L", name], capture_output=True, text=True, check=False)
        for path in listed.stdout.splitlines():
            stem = Path(path).stem
            if (
                path.startswith(f"{_JENA_JARS}/")
                and path.endswith(".jar")
                and not re.search(r"-\d[\d.]*$", stem)
                and not stem.startswith(clashing)
            ):
                jars.add(path)
        depends = subprocess.run(
            ["dpkg-query", "-W", "-f=${Depends}", name], capture_output=True, text=True, check=False
        ).stdout
        for alternatives in depends.split(","):
            first = alternatives.split("|")[0].strip().split(" ")[0].split(":")[0]
            if first:
                waiting.append(first)
    return sorted(jars)

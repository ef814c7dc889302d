"""Starting real servers for the tests (`kg serve`, the Oxigraph server, Virtuoso) on loopback ports, stopped
after; finding the command-line clients the tests drive (Jena's rsparql)."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The limits the test server runs with. The time limit includes waiting for a worker, so it must hold on a
#: machine busy with other work (at 2 s, 50 concurrent clients on a loaded 2-core machine got 503s); the
#: endless-query test waits for it once.
TEST_TIMEOUT = 10.0
TEST_MAX_ROWS = 1_000
#: How long a request may wait for a free worker before the test server answers 503. The server's default (2 s) is
#: right for a service; the tests that are not about queueing must not see a 503 because the machine is busy (50
#: concurrent clients on a 2-core machine running a second test suite got 7 of 2,000). test_endpoint_limits.py tests
#: the 503 with a server of its own.
TEST_QUEUE_SECONDS = 60.0


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
        "--queue-seconds",
        str(TEST_QUEUE_SECONDS),
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


def rsparql_command() -> list[str]:
    """Jena's `rsparql` (a SPARQL 1.1 Protocol client that parses each query before sending it): the command when
    one is on PATH, else the jars of Debian's libapache-jena-java (which ships no scripts) run with `java`.

    Debian builds jena-core with its Xerces classes moved to the package `xerces` but their message files left
    under `org/apache/jena/ext/xerces`, and Xerces then fails while starting; a jar of those files where the
    classes look for them makes it start. Most of a run is the JVM loading Jena's classes (1.7 s of CPU): a
    class-data archive of them, made once per machine beside that jar in the system's temporary folder, halves it.
    """
    found = shutil.which("rsparql")
    if found is not None:
        return [found]
    java = shutil.which("java")
    if java is None or not (_JENA_JARS / "jena-cmds.jar").exists():
        pytest.fail(f"Jena's rsparql is missing: install it with `{JENA_INSTALL}` (as root)")
    core = (_JENA_JARS / "jena-core.jar").stat()
    folder = Path(tempfile.gettempdir()) / "kg-tests-jena"
    folder.mkdir(exist_ok=True)
    messages = folder / f"xerces-messages-{core.st_size}-{int(core.st_mtime)}.jar"
    if not messages.exists():  # written aside, then renamed: another session may be reading it
        partial = folder / f"xerces-messages.{os.getpid()}.tmp"
        with zipfile.ZipFile(_JENA_JARS / "jena-core.jar") as jar, zipfile.ZipFile(partial, "w") as out:
            for name in jar.namelist():
                if name.startswith("org/apache/jena/ext/xerces/") and not name.endswith("/"):
                    out.writestr("xerces/" + name.removeprefix("org/apache/jena/ext/xerces/"), jar.read(name))
        os.replace(partial, messages)
    classpath = [str(messages), *_debian_jars("libapache-jena-java")]
    command = [java, *_QUICK_JVM, "-cp", ":".join(classpath)]
    # The archive holds for this JVM and these very jars only (the JVM checks, and runs without it otherwise).
    stamps = [
        (path, os.stat(path).st_size, os.stat(path).st_mtime_ns) for path in [str(Path(java).resolve()), *classpath]
    ]
    archive = folder / f"rsparql-{hashlib.sha256(repr(stamps).encode()).hexdigest()[:16]}.jsa"
    if not archive.exists():
        # A run that parses a query and fails to connect loads what a real one does, bar the answer's writer.
        partial = folder / f"rsparql.{os.getpid()}.jsa"
        closed = f"http://127.0.0.1:{free_port()}/sparql"
        dump = [command[0], f"-XX:ArchiveClassesAtExit={partial}", *command[1:]]
        subprocess.run([*dump, "arq.rsparql", "--service", closed, "ASK {}"], capture_output=True, timeout=120)
        if partial.exists():  # a JVM without dynamic archives (before Java 13) makes none, and runs without
            os.replace(partial, archive)
    if archive.exists():
        command[1:1] = [f"-XX:SharedArchiveFile={archive}"]
    return [*command, "arq.rsparql"]


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


#: How to install Virtuoso on Debian; .ci/run does it.
VIRTUOSO_INSTALL = "DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends virtuoso-opensource"

_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = {folder}
[HTTPServer]
ServerPort = 127.0.0.1:{port}
ServerRoot = {folder}
ServerThreads = 4
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 100000
MaxQueryExecutionTime = 60
"""


def start_virtuoso(folder: Path) -> Server:
    """Virtuoso (Debian's virtuoso-opensource) with a new database in `folder`, its SQL and HTTP ports free
    loopback ports, and SPARQL Update granted to the anonymous SPARQL user, as a store to push to must allow.
    Queries and updates both go to /sparql; Virtuoso has no plain default graph to insert into, so use a named one.

    Building an empty database takes Virtuoso most of its start (measured: 6 s on an idle machine, 20 s on a busy
    one): the first start keeps a copy of its new database in the system's temporary folder, and later starts
    begin from a copy of that (7.5 s on the same busy machine)."""
    binary = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql")
    if binary is None or isql is None:
        pytest.fail(f"Virtuoso is missing: install it with `{VIRTUOSO_INSTALL}` (as root)")
    built = Path(binary).stat()
    template = Path(tempfile.gettempdir()) / f"kg-tests-virtuoso-{built.st_size}-{int(built.st_mtime)}.db"
    if template.exists():
        shutil.copyfile(template, folder / "virtuoso.db")
    port, sql_port = free_port(), free_port()
    config = folder / "virtuoso.ini"
    config.write_text(_VIRTUOSO_INI.format(folder=folder, port=port, sql_port=sql_port), encoding="utf-8")
    command = [binary, "+foreground", "+configfile", str(config)]
    server = start(command, port, folder / "server.log", "/sparql?query=ASK%7B%7D")

    def sql(statement: str) -> None:
        done = subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0 or "Error" in done.stdout + done.stderr:
            server.stop()
            pytest.fail(f"Virtuoso refused {statement!r}:\n{done.stdout}{done.stderr}")

    if not template.exists():  # kept before the grant: a template with it would refuse a second one
        sql("checkpoint;")  # everything in the database file, nothing left in the transaction log
        partial = template.with_name(f"{template.name}.{os.getpid()}.tmp")
        shutil.copyfile(folder / "virtuoso.db", partial)
        os.replace(partial, template)
    sql('GRANT SPARQL_UPDATE TO "SPARQL";')
    return server


@contextlib.contextmanager
def recording_endpoint(answer: str) -> Iterator[tuple[str, list[str]]]:
    """A loopback SPARQL endpoint that answers every request with one row, ?s = `answer`, and records its path:
    (its base URL, ending in a slash, and the paths requested). Security tests assert that nothing reaches it."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            hits.append(self.path)
            body = {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": answer}}]}}
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer()

        def log_message(self, *_arguments: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", hits
    finally:
        server.shutdown()
        server.server_close()


def descendants(root: int, generations: int = 99) -> set[int]:
    """The processes under process `root`: its children, grandchildren and so on, up to `generations` down."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {root}
    for _generation in range(generations):
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _thread_cpu_ticks(root: int) -> dict[int, int]:
    """CPU ticks (user + system) of every thread of every process under `root` (not `root` itself)."""
    ticks: dict[int, int] = {}
    for pid in descendants(root):
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{pid}/task"):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    fields = Path(f"/proc/{pid}/task/{task}/stat").read_text().rsplit(")", 1)[1].split()
                    ticks[int(task)] = int(fields[11]) + int(fields[12])
    return ticks


def stop_spinning_workers(root: int, seconds: float = 0.5) -> int:
    """Stop (SIGSTOP) the sandboxed query workers under process `root` that are spinning on a query that only has to
    last until its time limit; return how many.

    The limit is the parent's: it kills the worker at the deadline, and SIGKILL ends a stopped process, so what the
    test checks is unchanged (an answer can only come from the parent's limit); meanwhile the query takes no CPU at
    all, where at nice 19 it still took every idle cycle. Only processes under the seccomp filter (Seccomp: 2, the
    query workers) are ever stopped, never a server or the test process."""
    before = _thread_cpu_ticks(root)
    time.sleep(seconds)
    after = _thread_cpu_ticks(root)
    busy = {tid: ticks - before[tid] for tid, ticks in after.items() if ticks - before.get(tid, ticks) > 0}
    stopped: set[int] = set()
    for tid in (tid for tid, ticks in busy.items() if ticks >= max(busy.values()) / 2):
        with contextlib.suppress(OSError, ValueError, KeyError):
            status = dict(line.split(":", 1) for line in Path(f"/proc/{tid}/status").read_text().splitlines())
            pid = int(status["Tgid"])
            if status.get("Seccomp", "").strip() == "2" and pid not in stopped:
                os.kill(pid, signal.SIGSTOP)
                stopped.add(pid)
    return len(stopped)

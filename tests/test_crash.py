"""Crash safety: a process killed mid-write leaves the previous file intact; a bad reasoning cache is never used."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import BNode, Graph

from kg import KnowledgeGraph
from kg.cli import main
from kg.export import write_atomically
from kg.reason import _input_key, infer, infer_cached
from kg.snapshot import ASSERTED_GRAPH, Snapshot
from kg.store import new_graph, parse_into

#: Prepended to the child's program: the first file opened for writing gets half its bytes, then the process
#: stops there until it is killed — a crash at the worst moment, every time.
STALL_MID_WRITE = """
import os, sys, time
marker = sys.argv[1]
real_fdopen = os.fdopen

class HalfThenStall:
    def __init__(self, stream):
        self.stream = stream
    def __enter__(self):
        return self
    def __exit__(self, *exception):
        return self.stream.__exit__(*exception)
    def __getattr__(self, name):
        return getattr(self.stream, name)
    def write(self, data):
        self.stream.write(data[: len(data) // 2])
        self.stream.flush()
        open(marker, "w").close()
        time.sleep(120)

def stalling_fdopen(descriptor, mode="r", *arguments, **options):
    stream = real_fdopen(descriptor, mode, *arguments, **options)
    return HalfThenStall(stream) if "w" in mode else stream

os.fdopen = stalling_fdopen
"""

SMALL_ONTOLOGY = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Neuropathy rdfs:subClassOf ex:Condition .
ex:Condition rdfs:subClassOf ex:Finding .
ex:case ex:kind ex:x .
ex:x a ex:Neuropathy .
"""


def kill_mid_write(program: str, arguments: list[str], tmp_path: Path) -> None:
    """Run `program` in a new Python process that stalls half-way through its first file write; kill it there."""
    marker = tmp_path / "stalled"
    process = subprocess.Popen(
        [sys.executable, "-c", STALL_MID_WRITE + program, str(marker), *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        if process.poll() is not None:
            pytest.fail(f"the child ended before stalling: {process.stderr.read().decode() if process.stderr else ''}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the child never reached its first write")
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL
    if process.stderr:
        process.stderr.close()


def small_graph(tmp_path: Path, extra: str = "") -> tuple[Path, Graph]:
    path = tmp_path / f"small{len(extra)}.ttl"
    path.write_text(SMALL_ONTOLOGY + extra)
    graph = new_graph()
    parse_into(graph, path)
    return path, graph


def test_export_killed_mid_write_leaves_the_previous_file_and_the_next_run_is_right(
    tmp_path: Path, shipped: KnowledgeGraph
) -> None:
    output = tmp_path / "graph.ttl"
    output.write_text("the previous export\n")
    program = "\nfrom kg.cli import main\nsys.exit(main(sys.argv[2:]))\n"
    kill_mid_write(program, ["export", "--format", "turtle", "-o", str(output)], tmp_path)
    assert output.read_text() == "the previous export\n"
    [leftover] = [path for path in tmp_path.iterdir() if path.name.startswith(".graph.ttl.")]
    expected = shipped.export("turtle")
    assert 0 < leftover.stat().st_size < len(expected)  # the child really died half-way through the bytes
    assert main(["export", "--format", "turtle", "-o", str(output)]) == 0
    assert output.read_bytes() == expected
    assert not leftover.exists()  # the killed run's temporary is removed by the next run


def test_cache_write_killed_mid_write_leaves_no_cache_and_the_next_run_is_right(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _path, other = small_graph(tmp_path, "ex:y a ex:Condition .\n")
    infer_cached(other, cache)
    [previous] = cache.glob("inferred-*.nt")
    previous_bytes = previous.read_bytes()
    path, graph = small_graph(tmp_path)
    program = (
        "\nfrom pathlib import Path\nfrom kg.reason import infer_cached\nfrom kg.store import new_graph, parse_into\n"
        "graph = new_graph()\nparse_into(graph, Path(sys.argv[2]))\ninfer_cached(graph, Path(sys.argv[3]))\n"
    )
    kill_mid_write(program, [str(path), str(cache)], tmp_path)
    assert list(cache.glob("inferred-*.nt")) == [previous]
    assert previous.read_bytes() == previous_bytes
    assert len(list(cache.glob(".inferred-*.tmp"))) == 1  # the half-written temporary, never under the real name
    inferred = infer_cached(graph, cache)
    assert set(inferred) == set(infer(graph))
    assert len(list(cache.glob("inferred-*.nt"))) == 2
    [written] = [p for p in cache.glob("inferred-*.nt") if p != previous]
    stamp = written.stat().st_mtime_ns
    assert set(infer_cached(graph, cache)) == set(inferred)
    assert written.stat().st_mtime_ns == stamp  # the new cache is read back, not rebuilt


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda content: content[: len(content) // 2], id="truncated"),
        pytest.param(lambda content: content[:-10] + bytes([content[-10] ^ 1]) + content[-9:], id="one-bit-flipped"),
        pytest.param(lambda content: b"", id="empty"),
        pytest.param(lambda content: content.split(b"\n", 1)[1], id="header-missing"),
        pytest.param(lambda content: b"\x00" * len(content), id="zeros"),
    ],
)
def test_a_corrupted_cache_is_detected_and_rebuilt(tmp_path: Path, damage: object) -> None:
    _path, graph = small_graph(tmp_path)
    expected = set(infer(graph))
    infer_cached(graph, tmp_path)
    [cache_file] = tmp_path.glob("inferred-*.nt")
    good = cache_file.read_bytes()
    assert callable(damage)
    cache_file.write_bytes(damage(good))
    assert set(infer_cached(graph, tmp_path)) == expected
    assert cache_file.read_bytes() == good


def test_a_stale_cache_from_other_input_is_never_used(tmp_path: Path) -> None:
    """A cache file whose checksum is right but which was computed from another graph (copied, renamed, an old
    version's) names that other input in its header, so it is refused."""
    _path, graph = small_graph(tmp_path)
    _other_path, other = small_graph(tmp_path, "ex:z a ex:Neuropathy .\n")
    infer_cached(graph, tmp_path / "mine")
    infer_cached(other, tmp_path / "other")
    [mine] = (tmp_path / "mine").glob("inferred-*.nt")
    [theirs] = (tmp_path / "other").glob("inferred-*.nt")
    good = mine.read_bytes()
    mine.write_bytes(theirs.read_bytes())
    result = infer_cached(graph, tmp_path / "mine")
    assert set(result) == set(infer(graph))
    assert set(result) != set(infer(other))
    assert mine.read_bytes() == good


def test_a_cache_forged_with_a_matching_checksum_but_no_input_key_is_refused(tmp_path: Path) -> None:
    _path, graph = small_graph(tmp_path)
    infer_cached(graph, tmp_path)
    [cache_file] = tmp_path.glob("inferred-*.nt")
    body = b"<http://example.org/forged> <http://example.org/says> <http://example.org/lies> .\n"
    cache_file.write_bytes(f"# sha256 {hashlib.sha256(body).hexdigest()}\n".encode() + body)
    result = infer_cached(graph, tmp_path)
    assert not any("forged" in str(term) for triple in result for term in triple)


def test_the_cache_key_does_not_depend_on_blank_node_labels(shipped: KnowledgeGraph) -> None:
    """Blank nodes get new labels on every parse; a key that saw them would differ in every process (no hits)."""
    first, second = shipped.asserted, KnowledgeGraph.load().asserted  # two loads, two parses
    labels = [
        {str(term) for triple in graph for term in triple if isinstance(term, BNode)} for graph in (first, second)
    ]
    assert labels[0]
    assert labels[0].isdisjoint(labels[1])
    assert _input_key(first) == _input_key(second)


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "graph.ttl"
    target.write_text("the previous export\n")

    def disk_full(_descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, b"the new export\n")
    assert target.read_text() == "the previous export\n"
    assert [path.name for path in tmp_path.iterdir()] == ["graph.ttl"]


def test_the_cli_reports_an_unwritable_output_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["export", "-o", str(blocker / "graph.ttl")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("kg: error: ")
    assert error.count("\n") == 1
    assert str(blocker) in error


def test_half_built_snapshots_and_temporaries_of_killed_runs_are_removed_by_the_next_build(tmp_path: Path) -> None:
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)
    stale = [
        tmp_path / f".snapshot-0123456789ab-{dead}-k9x_2abc",
        tmp_path / f".inferred-{'0' * 64}.nt.{dead}.ab12cd34.tmp",
    ]
    old_unowned = tmp_path / ".snapshot-0123456789ab-q1w2e3r4"
    kept = [
        tmp_path / f".snapshot-0123456789ab-{os.getpid()}-k9x_2abc",  # a build still running
        tmp_path / ".snapshot-0123456789ab-z9y8x7w6",  # no owner named, but fresh
        tmp_path / "notes.snapshot-draft",
    ]
    for folder in (stale[0], old_unowned, kept[0], kept[1]):
        folder.mkdir()
        (folder / "asserted.nt").write_text("half\n")
    stale[1].write_text("half\n")
    kept[2].write_text("mine\n")
    an_hour_ago = time.time() - 3600
    os.utime(old_unowned, (an_hour_ago, an_hour_ago))
    triple = b"<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n"
    snapshot = Snapshot.build(tmp_path, "f" * 64, triple, b"")
    assert snapshot.ntriples(ASSERTED_GRAPH) == triple
    for path in [*stale, old_unowned]:
        assert not path.exists(), path
    for path in kept:
        assert path.exists(), path

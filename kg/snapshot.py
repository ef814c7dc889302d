"""The reasoned graph kept on disk as an Oxigraph store, keyed by a hash of its input files, opened in milliseconds."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sys
import time
from collections.abc import Iterable
from importlib.resources.abc import Traversable
from pathlib import Path

import pyoxigraph as ox

from kg.label_keys import FileLabelKeys, LabelKeys, MemoryLabelKeys, label_entries, write_label_keys

__all__ = [
    "ASSERTED_GRAPH",
    "INFERRED_GRAPH",
    "UNION_GRAPH",
    "Snapshot",
    "cache_directory",
    "label_keys",
    "read_inputs",
    "remove_stale_scratch",
    "snapshot_key",
]

#: Named graphs of the snapshot store: what was asserted and what the reasoner added, kept apart as everywhere else.
ASSERTED_GRAPH = ox.NamedNode("https://w3id.org/neuropathy-kg/graph/asserted")
INFERRED_GRAPH = ox.NamedNode("https://w3id.org/neuropathy-kg/graph/inferred")
#: Both again, in the store on disk only: there one graph answers 1.7x faster than two queried together.
UNION_GRAPH = ox.NamedNode("https://w3id.org/neuropathy-kg/graph/union")

#: Bump when the layout of a snapshot changes, so old snapshots are never read as new ones.
_FORMAT = "5"  # 2: stale scratch folders cleaned; 3: the inferred graph holds derivations; 4: the union graph;
# 5: the label index (labels.tsv)
#: The exact N-Triples of each graph, beside the store: Oxigraph normalises some literals on load (for example
#: xsd:nonNegativeInteger becomes xsd:integer, oxigraph/oxigraph#526), so the store answers queries while these
#: files give back the graph exactly as it was asserted, for validation and export.
_GRAPH_FILES = {ASSERTED_GRAPH: "asserted.nt", INFERRED_GRAPH: "inferred.nt"}
#: Every label and synonym of the asserted graph normalised (kg.label_keys): a label resolves by bisecting it,
#: where a query normalising every label costs 0.5-0.9 s at 1M triples in each `kg query` process.
_LABEL_FILE = "labels.tsv"
#: Measured on the 1M-triple generated graph (docs/performance.md): bytes of N-Triples an in-memory store reads
#: per CPU second, and the memory it then holds per byte of N-Triples.
LOAD_BYTES_PER_CPU_SECOND = 30_000_000
MEMORY_PER_BYTE = 3.5
#: A snapshot being built: ".snapshot-KEY12-PID-RANDOM" (earlier versions wrote no PID).
_SCRATCH = re.compile(r"\.snapshot-[0-9a-f]{12}-(?:(?P<pid>\d+)-)?[A-Za-z0-9_]+")
#: Written last, inside the folder, so a folder without it (a crash mid-write) is never opened.
_COMPLETE = "complete"


def cache_directory() -> Path:
    """$KG_CACHE_DIR, else $XDG_CACHE_HOME/neuropathy-kg, else ~/.cache/neuropathy-kg (snapshots and the reasoning
    cache, kg.reason)."""
    explicit = os.environ.get("KG_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "neuropathy-kg"


def snapshot_key(inputs: Iterable[tuple[str, bytes]]) -> str:
    """A hash of every input file's name and bytes plus the versions that shape the result (kg, owlrl, pyoxigraph)."""
    digest = hashlib.sha256()
    versions = " ".join(f"{name} {_version(name)}" for name in ("neuropathy-kg", "owlrl", "pyoxigraph", "rdflib"))
    digest.update(f"snapshot {_FORMAT} {versions}\n".encode())
    for name, data in inputs:
        digest.update(f"{name}\n{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def _version(distribution: str) -> str:
    """The installed version, read from the name of its .dist-info folder: importlib.metadata costs a tenth of
    a second to import, a third of what a warm `kg query` may take."""
    wanted = re.sub(r"[-_.]+", "_", distribution).lower()
    site = str(Path(ox.__file__).parent.parent)  # where pip put pyoxigraph, and so most likely the others
    for entry in [site, *sys.path]:
        for name in _listing(entry):
            if name.endswith(".dist-info"):
                project, _, rest = name[: -len(".dist-info")].partition("-")
                if re.sub(r"[-_.]+", "_", project).lower() == wanted:
                    return rest
    from importlib.metadata import version

    try:
        return version(distribution)
    except Exception:  # an uninstalled checkout still gets a stable key
        return "unknown"


@functools.cache
def _listing(folder: str) -> tuple[str, ...]:
    try:
        return tuple(os.listdir(folder or "."))
    except OSError:
        return ()


def read_inputs(files: Iterable[Traversable | Path]) -> list[tuple[str, bytes]]:
    """(name, bytes) of each file, the packaged ones named by file name and the user's by absolute path."""
    inputs = []
    for entry in files:
        name = str(entry.resolve()) if isinstance(entry, Path) else f"package:{entry.name}"
        inputs.append((name, entry.read_bytes()))
    return inputs


class Snapshot:
    """A finished snapshot: its folder, the read-only store over it, and the store queries read (`query_store`).

    Queries read the store on disk until the CPU time they spent there would have paid for reading the graph into
    memory, then (if it fits) the in-memory copy: on disk one query costs 5-20x more than in memory, and reading the
    graph in costs as much as a few disk queries, so this costs never more than twice the better of the two for
    any number of queries (the figures: docs/performance.md, "Snapshot layout").
    """

    __slots__ = ("_labels", "_memory", "_spent", "path", "store")

    def __init__(self, path: Path, store: ox.Store) -> None:
        self.path = path
        self.store = store
        self._memory: ox.Store | None = None
        self._spent = 0.0
        self._labels: FileLabelKeys | None = None

    def label_keys(self) -> FileLabelKeys:
        """The label index written with the snapshot."""
        if self._labels is None:
            self._labels = FileLabelKeys(self.path / _LABEL_FILE)
        return self._labels

    def ntriples(self, graph: ox.NamedNode) -> bytes:
        """The exact N-Triples of ASSERTED_GRAPH or INFERRED_GRAPH, as they were written."""
        return (self.path / _GRAPH_FILES[graph]).read_bytes()

    def query_store(self) -> ox.Store:
        """The store to query: the one on disk, or the in-memory copy once it has been read (see the class)."""
        return self._memory if self._memory is not None else self.store

    def default_graph(self, inferred: bool) -> list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]:
        """The graphs of `query_store` a query sees as its default graph: asserted, or asserted and inferred."""
        if not inferred:
            return [ASSERTED_GRAPH]
        return [ASSERTED_GRAPH, INFERRED_GRAPH] if self._memory is not None else [UNION_GRAPH]

    def spent(self, seconds: float) -> None:
        """Count CPU seconds spent querying the store on disk; read the graph into memory once they would have
        paid for it and it fits (half the memory available, and half this process's data limit)."""
        if self._memory is not None:
            return
        self._spent += seconds
        size = sum(self._size(name) for name in _GRAPH_FILES.values())
        if self._spent < size / LOAD_BYTES_PER_CPU_SECOND or size * MEMORY_PER_BYTE > _memory_budget():
            return
        memory = ox.Store()
        for graph, name in _GRAPH_FILES.items():
            if self._size(name):
                memory.bulk_load(path=str(self.path / name), format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
        self._memory = memory

    def _size(self, name: str) -> int:
        try:
            return (self.path / name).stat().st_size
        except OSError:
            return 0

    @classmethod
    def open(cls, directory: Path, key: str) -> Snapshot | None:
        """The snapshot for `key`, or None if there is none or it is unfinished or damaged (never half of one)."""
        path = directory / f"snapshot-{key}"
        try:
            if (path / _COMPLETE).read_text(encoding="utf-8") != key:
                return None
            return cls(path, ox.Store.read_only(str(path)))
        except (OSError, UnicodeDecodeError):
            return None

    @classmethod
    def build(cls, directory: Path, key: str, asserted: bytes, inferred: bytes) -> Snapshot:
        """Store the two graphs (N-Triples), then move the folder into place in one rename; a concurrent
        builder of the same key may win, and then its snapshot is used."""
        import shutil
        import tempfile

        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_scratch(directory)
        final = directory / f"snapshot-{key}"
        scratch = Path(tempfile.mkdtemp(prefix=f".snapshot-{key[:12]}-{os.getpid()}-", dir=directory))
        try:
            store = ox.Store(str(scratch))
            for data, graph in ((asserted, ASSERTED_GRAPH), (inferred, INFERRED_GRAPH)):
                (scratch / _GRAPH_FILES[graph]).write_bytes(data)
                if data:
                    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
                    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=UNION_GRAPH)
            write_label_keys(scratch / _LABEL_FILE, label_entries(store, ASSERTED_GRAPH))
            store.flush()
            del store  # closes the database before the folder moves
            (scratch / _COMPLETE).write_text(key, encoding="utf-8")
            _fsync_folder(scratch)
            if final.exists() and cls.open(directory, key) is None:
                shutil.rmtree(final, ignore_errors=True)  # damaged leftovers of an earlier run
            with contextlib.suppress(OSError):  # another process finished the same snapshot first: use theirs
                os.rename(scratch, final)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        snapshot = cls.open(directory, key)
        if snapshot is None:
            raise OSError(f"{final}: the snapshot could not be written or read back")
        return snapshot


def label_keys(snapshot: Snapshot | None, store: ox.Store) -> LabelKeys:
    """The label index: the snapshot's file, or made from `store` (its ASSERTED_GRAPH) in one scan."""
    return snapshot.label_keys() if snapshot is not None else MemoryLabelKeys(label_entries(store, ASSERTED_GRAPH))


def remove_stale_scratch(directory: Path) -> list[Path]:
    """Half-built snapshots and half-written cache files in `directory` left by killed runs: those whose process
    is gone (or, named without one by earlier versions, untouched for ten minutes). Returns what was removed."""
    import shutil

    from kg.output import process_alive, remove_stale_temporaries  # only a build cleans up (ctypes, fcntl)

    removed = remove_stale_temporaries(directory)
    for entry in sorted(directory.glob(".snapshot-*")):
        match = _SCRATCH.fullmatch(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        owner = match.group("pid")
        if (owner is not None and process_alive(int(owner))) or (owner is None and not _untouched_for(entry, 600)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _untouched_for(entry: Path, seconds: float) -> bool:
    try:
        return time.time() - entry.stat().st_mtime > seconds
    except OSError:
        return False


def _fsync_folder(path: Path) -> None:
    for entry in path.iterdir():
        if entry.is_file():
            with open(entry, "rb") as handle:
                os.fsync(handle.fileno())


def _memory_budget() -> float:
    """Half the memory available (MemAvailable), and half this process's data-segment limit if it has one."""
    import resource

    budget = float("inf")
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                budget = int(line.split()[1]) * 1024 / 2
    soft, _hard = resource.getrlimit(resource.RLIMIT_DATA)
    if soft != resource.RLIM_INFINITY:
        budget = min(budget, soft / 2)
    return budget

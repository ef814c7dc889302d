"""A query worker process seen from its parent: start it, hand it the graph, kill it, and say how it ended."""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import signal
import sys
import threading
from collections.abc import Iterator
from multiprocessing.process import BaseProcess

from kg.errors import KGError, QueryError
from kg.worker import GraphSource, memory_in_use, serve

__all__ = ["WorkerDiedError", "WorkerProcess"]

#: How long a new worker may take to load the graph before the pool gives up on it.
_STARTUP_SECONDS = 120.0


class WorkerDiedError(Exception):
    """A worker process ended while running a query; the message says how (WorkerProcess.death)."""


class WorkerProcess:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, source: GraphSource, engine: str, network: bool, memory_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        context = _context()
        self.connection, child_end = context.Pipe()
        self.process: BaseProcess = context.Process(
            target=serve, args=(child_end, engine, network, memory_bytes), name="kg query worker", daemon=True
        )
        with _callers_main_left_behind():
            self.process.start()
        child_end.close()
        try:
            self.connection.send(source)
            if not self.connection.poll(_STARTUP_SECONDS):
                raise QueryError(f"a query worker did not load the graph within {_STARTUP_SECONDS:g} s")
            ready = self.connection.recv()
        except (EOFError, OSError):
            self.kill()
            raise QueryError(f"a query worker stopped while loading the graph: {self.death()}") from None
        except BaseException:
            self.kill()
            raise
        if isinstance(ready, KGError):
            self.kill()
            raise ready
        self.isolated = bool(ready[1])
        #: What the worker holds with the graph loaded, before any query (VmData; 0 where /proc cannot tell).
        self.loaded_bytes = memory_in_use(self.process.pid or 0)

    def holds_too_much(self) -> bool:
        """Whether the worker holds more than half its headroom past the loaded graph: the allocator keeps what a
        big query took, and the next query would fail for want of it. (Half the cap itself would replace, after
        every query, a worker whose graph alone is that big: a million triples are 1.6 of 2 GB.)"""
        headroom = self.memory_bytes - self.loaded_bytes
        return memory_in_use(self.process.pid or 0) - self.loaded_bytes > headroom // 2

    def death(self) -> str:
        """Why the process ended, in words: a signal (a crash, or the memory cap), or its exit code."""
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code >= 0:
            return f"it exited with status {code}"
        number = -code
        name = signal.Signals(number).name if number in signal.valid_signals() else f"signal {number}"
        if number == signal.SIGABRT:
            return f"killed by {name}: an allocation failed at its memory cap ({self.memory_bytes:,} bytes)"
        if number == signal.SIGSEGV:
            return f"killed by {name}: a crash in the engine (please report the query)"
        return f"killed by {name}"

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


#: One start at a time: each hides and restores the same attributes of the caller's __main__.
_STARTING = threading.Lock()


@contextlib.contextmanager
def _callers_main_left_behind() -> Iterator[None]:
    """Start a worker without the caller's main module: multiprocessing would otherwise run the caller's script
    again in the worker (its top level, so a script without `if __name__ == "__main__":` started its queries again
    there and the worker died; one read from standard input has no file to run). The worker runs kg's code only."""
    main = vars(sys.modules["__main__"]) if "__main__" in sys.modules else {}
    with _STARTING:
        saved: dict[str, object] = {name: main.pop(name) for name in ("__file__", "__spec__") if name in main}
        main["__spec__"] = None  # multiprocessing reads the name of a main run with -m from here
        try:
            yield
        finally:
            main.pop("__spec__")
            main.update(saved)


@functools.cache
def _context() -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    """forkserver where there is one: a clean, single-threaded parent with the package preloaded, so a new
    worker starts in milliseconds, and no threads of the caller (a web server's, say) are forked along."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["kg.worker_preload"])  # kg.limits, and what each worker would build
        return context
    return multiprocessing.get_context("spawn")

"""Progress display on standard error for long steps: drawn only on a terminal, silent when piped or in tests."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

__all__ = ["is_terminal", "progress", "stage"]

T = TypeVar("T")

_BAR_WIDTH = 24
_REDRAW_SECONDS = 0.1
_SPINNER = "|/-\\"
_CLEAR_LINE = "\r\x1b[K"


def is_terminal(stream: TextIO | None = None) -> bool:
    """True when `stream` (standard error by default) is an interactive terminal, so drawing will be seen."""
    target = sys.stderr if stream is None else stream
    try:
        return target.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams count as "not a terminal"
        return False


def progress(items: Iterable[T], *, total: int | None = None, label: str, stream: TextIO | None = None) -> Iterator[T]:
    """Yield `items` unchanged, drawing a bar (or a count when `total` is unknown) on a terminal stream.

    `total` defaults to `len(items)` when the iterable has a length. The line is cleared when the loop ends,
    so the command's own output starts on a clean line.
    """
    target = sys.stderr if stream is None else stream
    if not is_terminal(target):
        yield from items
        return
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    started = time.monotonic()
    last_drawn = 0.0
    done = 0
    try:
        _write(target, _bar_line(label, done, total, 0.0))
        for item in items:
            yield item
            done += 1
            now = time.monotonic()
            if now - last_drawn >= _REDRAW_SECONDS or done == total:
                last_drawn = now
                _write(target, _bar_line(label, done, total, now - started))
    finally:
        _write(target, _CLEAR_LINE)


#: The step inside the running stage, shown by its spinner: a nested stage names itself there instead of drawing.
_running: list[str] = []


@contextmanager
def stage(label: str, *, stream: TextIO | None = None) -> Iterator[None]:
    """Show a spinner with the elapsed time while one long step without countable parts runs."""
    target = sys.stderr if stream is None else stream
    if not is_terminal(target):
        yield
        return
    if _running:
        outer = _running[0]
        _running[0] = label
        try:
            yield
        finally:
            _running[0] = outer
        return
    finished = threading.Event()
    started = time.monotonic()
    _running.append("")

    def spin() -> None:
        turn = 0
        while True:
            step = f": {_running[0]}" if _running and _running[0] else ""
            elapsed = time.monotonic() - started
            _write(target, f"{_CLEAR_LINE}{label}{step} {_SPINNER[turn % len(_SPINNER)]} {elapsed:.1f}s")
            turn += 1
            if finished.wait(_REDRAW_SECONDS):
                return

    spinner = threading.Thread(target=spin, name=f"progress: {label}", daemon=True)
    spinner.start()
    try:
        yield
    finally:
        finished.set()
        spinner.join()
        _running.clear()
        _write(target, _CLEAR_LINE)


def _bar_line(label: str, done: int, total: int | None, elapsed: float) -> str:
    if not total:
        return f"{_CLEAR_LINE}{label} {done} {elapsed:.1f}s"
    filled = min(_BAR_WIDTH, _BAR_WIDTH * done // total)
    bar = "#" * filled + "." * (_BAR_WIDTH - filled)
    return f"{_CLEAR_LINE}{label} [{bar}] {done}/{total} {100 * done // total}% {elapsed:.1f}s"


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()

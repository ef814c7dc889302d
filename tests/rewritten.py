"""The test files' assert-rewritten code, made once and shared by the suite's processes when Python may not write
bytecode (PYTHONDONTWRITEBYTECODE, as on the CI machine).

pytest rewrites the asserts of every test file when it imports it, and caches the result as bytecode only where
it may write bytecode. Without that cache each pytest-xdist worker rewrites all of them again: about 3.5 s of CPU
per process, measured, on a two-core machine running three. Here the first process to need a file rewrites it,
under a lock, into a folder of this user's in the temporary directory; the others wait for it and read it. The
entry is keyed by the file's bytes, its path, pytest's and Python's versions and the ini option that changes the
rewriting, so an edited file is rewritten again and a stale entry is never used.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path

import pytest

Rewrite = Callable[[Path, pytest.Config], tuple[bytes, types.CodeType]]


def share_rewritten_test_files() -> None:
    """Wrap pytest's rewriting of one file (a private function: when it is missing or pytest may write its own
    cache, nothing changes and each process rewrites as before)."""
    from _pytest.assertion import rewrite

    original: Rewrite | None = getattr(rewrite, "_rewrite_test", None)
    if original is None or not sys.dont_write_bytecode or getattr(original, "shared", False):
        return
    folder = Path(tempfile.gettempdir()) / f"kg-tests-rewritten-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != os.getuid() or folder.is_symlink():
        return  # someone else's folder: code read from it would run here

    def shared(fn: Path, config: pytest.Config) -> tuple[bytes, types.CodeType]:
        source = fn.read_bytes()
        versions = f"{pytest.__version__} {sys.version} {config.getini('enable_assertion_pass_hook')}"
        key = hashlib.sha256(b"\0".join([source, str(fn).encode(), versions.encode()])).hexdigest()[:32]
        cached = folder / f"{key}.code"
        with (folder / f"{key}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if cached.exists():
                return importlib.util.source_hash(source), marshal.loads(cached.read_bytes())
            source_hash, code = original(fn, config)
            partial = folder / f"{key}.{os.getpid()}.tmp"
            partial.write_bytes(marshal.dumps(code))
            os.replace(partial, cached)
            return source_hash, code

    shared.shared = True  # type: ignore[attr-defined]
    rewrite._rewrite_test = shared  # type: ignore[attr-defined]

"""Writing output files safely: atomic replacement of regular files, write-through for devices and pipes."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "process_alive",
    "remove_folders_of_dead_processes",
    "remove_stale_temporaries",
    "write_atomically",
    "write_folder",
]

_PLAIN_FILE_MODE = 0o666
_PLAIN_FOLDER_MODE = 0o777
#: A temporary file of ours: ".NAME.PID.RANDOM.tmp" beside its target (PID: the process that writes it).
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")
#: Temporaries named without a process id (written by earlier versions) are stale after this many seconds.
_ORPHAN_AGE_SECONDS = 600
#: Where a symbolic link leads to the process's own streams (/dev/stdout -> /proc/self/fd/1): never replaced.
_MAGIC_PREFIXES = ("/proc/", "/dev/")


@functools.cache
def _current_umask() -> int:
    """Read once: os.umask can only be read by setting it, which must not race with other threads later."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    """Write `data` to `path` so that no reader ever sees half of it, and never replace what is not a file.

    `data` is bytes, or a function that writes them to the binary file it is given (nothing held whole in memory).

    A regular file (or a new one) is written to a temporary file beside it and renamed over it. A character
    device (/dev/null) or a FIFO is written through, never replaced; a FIFO nobody reads from is refused at once
    rather than waited on. A symbolic link is kept: its target is written (atomically when it is a regular file).
    Folders, block devices and sockets are refused. Every OSError names `path`.
    """
    try:
        _write(path, data)
    except OSError as error:
        if error.filename is None or str(error.filename).endswith(".tmp"):
            raise OSError(error.errno, error.strerror or str(error), str(path)) from None
        raise


def _write(path: Path, data: bytes | Callable[[BinaryIO], object]) -> None:
    try:
        status = os.stat(path)  # follows symbolic links: what matters is what gets written
    except FileNotFoundError:
        status = None
    except NotADirectoryError:
        raise OSError(errno.ENOTDIR, "a part of the path is a file, not a folder", str(path)) from None
    if status is None or stat.S_ISREG(status.st_mode):
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        if status is not None and target != path and str(target).startswith(_MAGIC_PREFIXES):
            _write_through(path, data, os.O_APPEND)  # /dev/stdout redirected to a file: the shell's file
        else:
            _replace(target, data, None if status is None else stat.S_IMODE(status.st_mode))
    elif stat.S_ISCHR(status.st_mode) or stat.S_ISFIFO(status.st_mode):
        _write_through(path, data, 0)
    elif stat.S_ISDIR(status.st_mode):
        raise OSError(errno.EISDIR, "is a folder, not a file (name a file to write)", str(path))
    else:
        kind = "block device" if stat.S_ISBLK(status.st_mode) else "socket or other special file"
        raise OSError(errno.EINVAL, f"is a {kind}; refusing to write an output there", str(path))


def _write_through(path: Path, data: bytes | Callable[[BinaryIO], object], flags: int) -> None:
    """Open and write, never replace; O_NONBLOCK so a FIFO without a reader fails (ENXIO) instead of hanging."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_NONBLOCK | flags)
    except OSError as error:
        if error.errno == errno.ENXIO:
            raise OSError(
                errno.ENXIO, "is a FIFO that no process reads from; start the reader first", str(path)
            ) from None
        raise
    try:
        fcntl.fcntl(handle, fcntl.F_SETFL, fcntl.fcntl(handle, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        if not isinstance(data, bytes):
            with os.fdopen(handle, "wb", closefd=False) as stream:
                data(stream)
            return
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    finally:
        os.close(handle)


def _replace(path: Path, data: bytes | Callable[[BinaryIO], object], mode: int | None) -> None:
    """Temporary file beside `path`, then rename: the old file or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent, path.name)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data) if isinstance(data, bytes) else data(stream)
            stream.flush()
            os.fsync(stream.fileno())
        # mkstemp makes the file private (0600): keep the mode of the file replaced, or give a plain open()'s.
        os.chmod(temporary, _PLAIN_FILE_MODE & ~_current_umask() if mode is None else mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def remove_stale_temporaries(folder: Path, name: str | None = None) -> list[Path]:
    """Remove temporary files of ours in `folder` (for `name`, or any) left by killed runs; return them.

    Only files named as write_atomically names them, and only when the process that wrote them is gone
    (or, for a name without a process id, when the file is older than ten minutes).
    """
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not _stale(entry, name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file() and not entry.is_symlink():
                entry.unlink()
                removed.append(entry)
    return removed


def _stale(entry: Path, name: str | None) -> bool:
    match = _TEMPORARY.match(entry.name)
    if match is not None and (name is None or match.group("name") == name):
        return not process_alive(int(match.group("pid")))
    if name is None or not re.fullmatch(rf"\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.tmp", entry.name):
        return False
    try:
        return time.time() - entry.lstat().st_mtime > _ORPHAN_AGE_SECONDS
    except OSError:
        return False


def remove_folders_of_dead_processes(pattern: str) -> None:
    """Remove the folders matching `pattern` whose name's third dash-separated part is the id of a process that is
    gone (what a killed process left: `kg-graph-PID-…` in the temporary folder)."""
    import glob
    import shutil

    for stale in glob.glob(pattern):
        owner = os.path.basename(stale).split("-")[2]
        if owner.isdigit() and not process_alive(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """Whether process `pid` exists (on this machine); a process we may not signal still exists."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def write_folder(directory: Path, files: Mapping[str, bytes], *, ours: Callable[[str], bool]) -> list[Path]:
    """Make `directory` hold exactly `files`, swapped in whole: a reader (or a run killed at any moment) sees the
    previous folder or the new one, never a mix. The new folder is built beside it, then exchanged with it.

    A folder holding anything for which `ours(name)` is false is refused rather than replaced (it is not a
    folder this function wrote). A symbolic link to a folder is kept and its target replaced.
    """
    target = Path(os.path.realpath(directory))  # "." or a link to a folder: swap the folder itself
    target.parent.mkdir(parents=True, exist_ok=True)
    _recover_folders(target)
    mode = _PLAIN_FOLDER_MODE & ~_current_umask()
    if target.exists():
        if not target.is_dir():
            raise OSError(errno.ENOTDIR, "is not a folder (name a folder to write the files into)", str(directory))
        foreign = sorted(entry.name for entry in target.iterdir() if not ours(entry.name))
        if foreign:
            shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
            problem = f"holds other files ({shown}), which a new release would remove; name a new or release folder"
            raise OSError(errno.ENOTEMPTY, problem, str(directory))
        mode = stat.S_IMODE(target.stat().st_mode)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".new", dir=target.parent))
    try:
        for name, data in files.items():
            try:
                with open(scratch / name, "xb") as stream:
                    stream.write(data)
                    stream.flush()
                    os.fsync(stream.fileno())
            except OSError as error:  # name the file the user asked for, not the scratch copy
                raise OSError(error.errno, error.strerror or str(error), str(directory / name)) from None
        os.chmod(scratch, mode)
        _fsync_folder(scratch)
        _swap_in(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # after the swap: the previous folder
    _fsync_folder(target.parent)
    return sorted(directory / name for name in files)


def _swap_in(scratch: Path, target: Path) -> None:
    """Move `scratch` to `target`; the previous `target`, if any, ends up at `scratch`."""
    if not target.exists():
        os.rename(scratch, target)
        return
    if _exchange(scratch, target):
        return
    # No atomic exchange here: two renames, and a run killed between them is repaired by _recover_folders.
    previous = scratch.with_name(scratch.name.removesuffix(".new") + ".old")
    os.rename(target, previous)
    os.rename(scratch, target)
    os.rename(previous, scratch)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    at_current_folder, rename_exchange = -100, 2
    if renameat2(at_current_folder, os.fsencode(first), at_current_folder, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _recover_folders(target: Path) -> None:
    """Folders of killed runs beside `target`: a half-built one is removed; a previous one moved aside but not
    replaced (a kill between the two renames) is put back, or removed if a newer folder is in place."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.(?P<kind>new|old)")
    for entry in sorted(target.parent.iterdir()):
        match = pattern.fullmatch(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink() or process_alive(int(match.group("pid"))):
            continue
        if match.group("kind") == "old" and not target.exists():
            os.rename(entry, target)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable: without this, a power cut could bring back the old file."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some platforms and file systems cannot open a folder; the rename is then as durable as they allow
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)

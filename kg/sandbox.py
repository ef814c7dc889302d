"""The sandbox untrusted queries run in: no network (seccomp-bpf), a big stack, and a watchdog for time and memory."""

from __future__ import annotations

import contextlib
import os
import platform
import queue
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Final, TypeVar

__all__ = [
    "BIG_STACK_BYTES",
    "confine_network",
    "confined",
    "give_back_freed_memory",
    "network_isolation",
    "on_big_stack",
    "watchdog",
]

T = TypeVar("T")

#: The stack the engines run on. Oxigraph recurses on the query's shape: 10,000 nested groups overflow the
#: default 8 MB and kill the process; with kg.screen's budget (5,000) 256 MB leaves a tenfold margin (60,000 pass).
BIG_STACK_BYTES: Final = 256 * 1024 * 1024

# seccomp-bpf, from linux/filter.h, linux/seccomp.h and linux/audit.h
_LOAD_WORD, _JUMP_EQUAL, _JUMP_AT_LEAST, _RETURN = 0x20, 0x15, 0x35, 0x06
_ALLOW, _EPERM = 0x7FFF0000, 0x00050000 | 1
_NO_NEW_PRIVS, _SET_MODE_FILTER, _THREAD_SYNC = 38, 1, 1
_AF_UNIX = 1
_X32_BIT = 0x40000000


class _Arch:
    def __init__(self, audit: int, socket: int, socketpair: int, seccomp: int, x32: bool) -> None:
        self.audit, self.socket, self.socketpair, self.seccomp, self.x32 = audit, socket, socketpair, seccomp, x32


#: The architectures whose system call numbers this filter knows; io_uring_setup is 425 on both.
_ARCHES = {
    "x86_64": _Arch(0xC000003E, socket=41, socketpair=53, seccomp=317, x32=True),
    "aarch64": _Arch(0xC00000B7, socket=198, socketpair=199, seccomp=277, x32=False),
}
_IO_URING_SETUP = 425

_confined = ""
_refused = ""  # why the kernel refused the filter, once it has


def network_isolation() -> str:
    """How ad-hoc queries are kept off the network on this machine, in one line (`kg sparql` can print it)."""
    arch = platform.machine().lower()
    if _refused:
        return f"lexical screen only: this kernel refused the seccomp filter ({_refused})"
    if sys.platform.startswith("linux") and arch in _ARCHES:
        return (
            f"seccomp-bpf ({arch}): the process running an ad-hoc query cannot open any socket but AF_UNIX, "
            "so no query reaches the network, whatever its text"
        )
    return (
        f"lexical screen only (no seccomp on {sys.platform}/{arch}): SERVICE, FROM and updates are refused "
        "from the query's text, read both with and without codepoint escapes"
    )


def confined() -> bool:
    """Whether this process has already cut itself off the network (confine_network succeeded here)."""
    return bool(_confined) and _confined == str(os.getpid())


def confine_network() -> bool:
    """Install a seccomp filter on every thread of this process: socket() fails with EPERM except for AF_UNIX
    (pipes to the parent), and so do io_uring and, on x86_64, the x32 system calls. It cannot be undone.

    False (and nothing changes) where there is no seccomp (not Linux, an unknown architecture, a kernel
    without it); the lexical screen (kg.screen) is then the only protection, as network_isolation() says.
    """
    global _confined, _refused
    if confined():
        return True
    arch = _ARCHES.get(platform.machine().lower())
    if not sys.platform.startswith("linux") or arch is None:
        return False
    import ctypes  # here: only processes that confine themselves pay for it

    program = _filter(arch)
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(buffer))
    fprog_buffer = ctypes.create_string_buffer(fprog)
    libc = ctypes.CDLL(None, use_errno=True)
    # seccomp(2) with TSYNC rather than prctl: threads already running (an engine's pool) are filtered too
    if (
        libc.prctl(_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        or libc.syscall(arch.seccomp, _SET_MODE_FILTER, _THREAD_SYNC, fprog_buffer) != 0
    ):
        _refused = os.strerror(ctypes.get_errno())
        return False
    _confined = str(os.getpid())
    return True


def _filter(arch: _Arch) -> bytes:
    def op(code: int, k: int, jump_true: int = 0, jump_false: int = 0) -> bytes:
        return struct.pack("HBBI", code, jump_true, jump_false, k)

    deny = op(_RETURN, _EPERM)
    allow = op(_RETURN, _ALLOW)
    program = [
        op(_LOAD_WORD, 4),  # seccomp_data.arch
        op(_JUMP_EQUAL, arch.audit, 1, 0),
        deny,  # another ABI (i386 through int 0x80, say) has its own socket calls: refuse them all
        op(_LOAD_WORD, 0),  # seccomp_data.nr
        op(_JUMP_AT_LEAST, _X32_BIT if arch.x32 else 0xFFFFFFFF, 0, 1),
        deny,
        op(_JUMP_EQUAL, _IO_URING_SETUP, 0, 1),
        deny,
        op(_JUMP_EQUAL, arch.socket, 2, 0),
        op(_JUMP_EQUAL, arch.socketpair, 1, 0),
        allow,
        op(_LOAD_WORD, 16),  # the low word of seccomp_data.args[0]: the address family
        op(_JUMP_EQUAL, _AF_UNIX, 0, 1),
        allow,
        deny,
    ]
    return b"".join(program)


def on_big_stack(function: Callable[[], T], text_length: int = 0) -> T:
    """`function()` run on a thread with BIG_STACK_BYTES of stack, its exception re-raised here.

    The threads are kept and reused: a new one per call cost 3-10 ms, mostly the wait for the GIL while the
    starting thread already runs Python (Python's switch interval is 5 ms). A thread that is busy is not waited
    for, so callers on several threads still run side by side; a call from a big-stack thread runs where it is.
    A thread that ran a query text longer than _SHALLOW_TEXT (`text_length`) ends after it: it may have touched
    much of its stack (a nesting level takes about 4 kB), which would stay resident in a kept thread.
    """
    if getattr(_here, "big", False):
        return function()
    with _idle_lock:
        if _idle_pid[0] != os.getpid():  # forked: the parent's threads are not in this process
            _idle.clear()
            _idle_pid[0] = os.getpid()
        inbox = _idle.pop() if _idle else _big_stack_thread()
    outbox: queue.SimpleQueue[tuple[bool, object]] = queue.SimpleQueue()
    inbox.put((function, outbox))
    ok, outcome = outbox.get()
    with _idle_lock:
        if len(_idle) < _KEPT and _idle_pid[0] == os.getpid() and text_length <= _SHALLOW_TEXT:
            _idle.append(inbox)
        else:
            inbox.put(None)  # the thread ends
    if not ok:
        raise outcome  # type: ignore[misc]
    return outcome  # type: ignore[return-value]


#: Idle big-stack threads kept (each a mailbox); a thread's stack is address space until a deep query touches it.
_KEPT = 4
#: The longest query text whose thread is kept: at most 4,096 levels deep, about 16 MB of stack touched.
_SHALLOW_TEXT = 8192
_Job = tuple[Callable[[], object], "queue.SimpleQueue[tuple[bool, object]]"] | None
_idle: list[queue.SimpleQueue[_Job]] = []
_idle_lock = threading.Lock()
_idle_pid = [os.getpid()]
_here = threading.local()


def _big_stack_thread() -> queue.SimpleQueue[_Job]:
    """A new thread with BIG_STACK_BYTES of stack running the jobs put in the mailbox it returns."""
    inbox: queue.SimpleQueue[_Job] = queue.SimpleQueue()
    previous = threading.stack_size()
    try:
        threading.stack_size(BIG_STACK_BYTES)
        threading.Thread(target=_serve, args=(inbox,), name="kg query", daemon=True).start()
    finally:
        threading.stack_size(previous)
    return inbox


def _serve(inbox: queue.SimpleQueue[_Job]) -> None:
    _here.big = True
    while (job := inbox.get()) is not None:
        function, outbox = job
        try:
            outbox.put((True, function()))
        except BaseException as error:
            # Without its traceback: the frames would keep the engine's result iterator alive until the caller's
            # thread drops it, and pyoxigraph's iterators must be dropped on the thread that made them.
            cause: BaseException | None = error
            seen: set[int] = set()
            while cause is not None and id(cause) not in seen:
                seen.add(id(cause))
                cause.__traceback__ = None
                cause = cause.__context__
            outbox.put((False, error))
        del job, function, outbox  # nothing of the call outlives it on this thread


def resident_bytes() -> int:
    """This process's resident memory (0 where /proc is missing)."""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def give_back_freed_memory() -> None:
    """Return the memory the C heap holds freed to the system (glibc's malloc_trim; nothing elsewhere).

    A store dropped frees its many small allocations into the heap, which keeps them for later C allocations;
    Python's objects come from elsewhere, so at 1M triples 0.8 GiB stayed resident, unused, beside an export."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


@contextlib.contextmanager
def watchdog(timeout: float | None, memory_bytes: int | None, on_breach: Callable[[str], None]) -> Iterator[None]:
    """While inside, a thread checks the clock and this process's resident memory every 20 ms and calls
    `on_breach(reason)` at the first breach (the CLI prints its one-line error and exits there: a native
    engine cannot be interrupted, and signals wait for it). The engines release the GIL, so the thread runs."""
    done = threading.Event()
    deadline = None if timeout is None else time.monotonic() + timeout
    baseline = resident_bytes()

    def watch() -> None:
        while not done.wait(0.02):
            if deadline is not None and time.monotonic() > deadline:
                on_breach(f"stopped after {timeout:g} s (the time limit); narrow the query or raise --timeout")
                return
            if memory_bytes is not None and resident_bytes() - baseline > memory_bytes:
                on_breach(f"stopped at {memory_bytes:,} bytes of memory (the memory limit); narrow the query")
                return

    thread = threading.Thread(target=watch, name="kg watchdog", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()

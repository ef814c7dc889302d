"""The threads queries run on (kg.sandbox.on_big_stack): kept between calls, never shared by two at once."""

from __future__ import annotations

import threading

import pytest

from kg.sandbox import on_big_stack


def test_a_thread_is_kept_for_the_next_call() -> None:
    first = on_big_stack(threading.current_thread)
    assert first is not threading.current_thread()
    assert first.name == "kg query"
    assert on_big_stack(threading.current_thread) is first


def test_an_error_comes_back_without_its_traceback_and_the_thread_is_kept() -> None:
    def fails() -> None:
        raise ValueError("from the query")

    with pytest.raises(ValueError, match="from the query") as raised:
        on_big_stack(fails)
    frames = [entry.name for entry in raised.traceback]  # raised again here: only the caller's frames
    assert frames[-1] == "on_big_stack"
    assert "fails" not in frames
    kept = on_big_stack(threading.current_thread)
    assert on_big_stack(threading.current_thread) is kept


def test_callers_on_several_threads_run_side_by_side() -> None:
    """Each waits for the other inside its call: that finishes only if the two calls run at once."""
    both = threading.Barrier(2, timeout=10)
    ran: list[threading.Thread] = []

    def call() -> None:
        ran.append(on_big_stack(lambda: (both.wait(), threading.current_thread())[1]))

    callers = [threading.Thread(target=call) for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(ran) == 2
    assert ran[0] is not ran[1]


def test_a_call_from_a_query_thread_runs_where_it_is() -> None:
    outer, inner = on_big_stack(lambda: (threading.current_thread(), on_big_stack(threading.current_thread)))
    assert inner is outer


def test_a_thread_that_ran_a_long_text_is_not_kept() -> None:
    """A long text may nest deeply and touch much of the stack, which a kept thread would hold on to."""
    retired = on_big_stack(threading.current_thread, 100_000)
    assert on_big_stack(threading.current_thread) is not retired
    retired.join(timeout=10)
    assert not retired.is_alive()

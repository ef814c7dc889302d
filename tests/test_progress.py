"""Progress display: drawn on a terminal, silent otherwise, never changing what is iterated."""

from __future__ import annotations

import io
import os
import pty
import time

import pytest

from kg.progress import is_terminal, progress, stage


class TerminalStream(io.StringIO):
    """A captured stream that says it is a terminal, as standard error is in an interactive shell."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal() -> TerminalStream:
    return TerminalStream()


def test_progress_yields_every_item_in_order(terminal: TerminalStream) -> None:
    assert list(progress(range(5), label="counting", stream=terminal)) == [0, 1, 2, 3, 4]


def test_progress_is_silent_when_not_a_terminal() -> None:
    piped = io.StringIO()
    assert list(progress([1, 2, 3], label="counting", stream=piped)) == [1, 2, 3]
    assert piped.getvalue() == ""


def test_progress_defaults_to_standard_error_and_is_silent_under_pytest(capsys: pytest.CaptureFixture[str]) -> None:
    assert list(progress(["a", "b"], label="letters")) == ["a", "b"]
    with stage("waiting"):
        pass
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


def test_progress_draws_a_bar_with_the_count_and_clears_the_line(terminal: TerminalStream) -> None:
    list(progress(["a", "b", "c", "d"], label="writing files", stream=terminal))
    drawn = terminal.getvalue()
    assert "writing files [" in drawn
    assert "4/4 100%" in drawn
    assert drawn.endswith("\r\x1b[K")


def test_progress_without_a_total_shows_a_count(terminal: TerminalStream) -> None:
    list(progress((letter for letter in "abc"), label="streaming", stream=terminal))
    assert "streaming 0 " in terminal.getvalue()
    assert "%" not in terminal.getvalue()


def test_progress_clears_the_line_when_the_loop_stops_early(terminal: TerminalStream) -> None:
    for item in progress(range(10), label="searching", stream=terminal):
        if item == 2:
            break
    assert terminal.getvalue().endswith("\r\x1b[K")


def test_stage_draws_a_spinner_with_elapsed_time(terminal: TerminalStream) -> None:
    with stage("reasoning", stream=terminal):
        time.sleep(0.15)
    drawn = terminal.getvalue()
    assert "reasoning |" in drawn
    assert "s" in drawn.split("reasoning |", 1)[1]
    assert drawn.endswith("\r\x1b[K")


def test_stage_is_silent_when_not_a_terminal() -> None:
    piped = io.StringIO()
    with stage("reasoning", stream=piped):
        pass
    assert piped.getvalue() == ""


def test_stage_clears_its_line_when_the_step_fails(terminal: TerminalStream) -> None:
    with pytest.raises(RuntimeError), stage("reasoning", stream=terminal):
        raise RuntimeError("boom")
    assert terminal.getvalue().endswith("\r\x1b[K")


def test_a_real_pseudo_terminal_counts_as_a_terminal() -> None:
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as stream:
            assert is_terminal(stream)
            list(progress([1, 2], label="pty", stream=stream))
        assert b"pty [" in os.read(leader, 4096)
    finally:
        os.close(leader)
        os.close(follower)


def test_a_closed_stream_is_not_a_terminal() -> None:
    closed = io.StringIO()
    closed.close()
    assert not is_terminal(closed)


def test_a_stage_inside_a_stage_names_its_step_on_the_outer_spinner(terminal: TerminalStream) -> None:
    with stage("building", stream=terminal), stage("reasoning", stream=terminal):
        deadline = time.monotonic() + 60  # the spinner redraws every 0.1 s; a busy machine may delay it
        while "building: reasoning" not in terminal.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    drawn = terminal.getvalue()
    assert "building: reasoning" in drawn
    assert "\r\x1b[Kreasoning" not in drawn  # one line on the terminal, never two spinners fighting over it
    assert drawn.endswith("\r\x1b[K")

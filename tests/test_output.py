"""Outputs never replace what is not a regular file: devices and FIFOs are written through, symbolic links kept,
folders refused; a FIFO without a reader is refused at once; write errors name the file; stale temporaries go."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kg.cli import main
from kg.output import remove_stale_temporaries, write_atomically

NEW = b"the new export\n"


def run_cli(*arguments: str) -> subprocess.CompletedProcess[bytes]:
    """`kg` in its own process, with a generous deadline: a FIFO that hangs fails the test instead of the suite."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from kg.cli import main; sys.exit(main(sys.argv[1:]))", *arguments],
        capture_output=True,
        timeout=120,
    )


def test_dev_null_stays_the_null_device_after_an_export() -> None:
    before = os.stat("/dev/null")
    assert main(["mappings", "-o", "/dev/null"]) == 0  # in this process: writing to a device cannot hang
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_rdev, after.st_ino) == (before.st_rdev, before.st_ino)


def test_dev_stdout_writes_to_standard_output_and_stays_a_link() -> None:
    result = run_cli("mappings", "-o", "/dev/stdout")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(b"#")  # the SSSOM metadata block
    assert os.path.islink("/dev/stdout")


def test_dev_stdout_redirected_to_a_file_fills_that_file(tmp_path: Path) -> None:
    target = tmp_path / "out.tsv"
    saved = os.dup(1)
    try:
        with target.open("wb") as stream:
            os.dup2(stream.fileno(), 1)  # this process's standard output is the file, as `kg ... > out.tsv` makes it
            code = main(["mappings", "-o", "/dev/stdout"])
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    assert code == 0
    assert target.read_bytes().startswith(b"#")


def test_a_fifo_with_a_reader_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    for _attempt in range(500):  # the reader must have opened its end first
        try:
            write_atomically(fifo, NEW * 10_000)
            break
        except OSError as error:
            if error.errno != errno.ENXIO:
                raise
            threading.Event().wait(0.01)
    reader.join(timeout=60)
    assert received == [NEW * 10_000]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_fifo_without_a_reader_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run_cli("mappings", "-o", str(fifo))
    assert result.returncode == 2
    assert (
        result.stderr.decode() == f"kg: error: {fifo}: is a FIFO that no process reads from; start the reader first\n"
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_symbolic_link_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    target = tmp_path / "real.ttl"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    link = tmp_path / "link.ttl"
    link.symlink_to(target)
    write_atomically(link, NEW)
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_bytes() == NEW
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the replaced file's mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.ttl", "real.ttl"]


def test_a_dangling_symbolic_link_gets_its_target_created(tmp_path: Path) -> None:
    link = tmp_path / "link.ttl"
    link.symlink_to(tmp_path / "missing.ttl")
    write_atomically(link, NEW)
    assert link.is_symlink()
    assert (tmp_path / "missing.ttl").read_bytes() == NEW


def test_a_symbolic_link_to_a_device_writes_through(tmp_path: Path) -> None:
    link = tmp_path / "null-link"
    link.symlink_to("/dev/null")
    before = os.stat("/dev/null")
    assert main(["mappings", "-o", str(link)]) == 0
    assert link.is_symlink()
    assert os.stat("/dev/null").st_rdev == before.st_rdev


def test_a_folder_is_refused_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["mappings", "-o", str(folder)]) == 2
    assert capsys.readouterr().err == f"kg: error: {folder}: is a folder, not a file (name a file to write)\n"
    assert folder.is_dir()
    assert list(folder.iterdir()) == []


def test_disk_full_names_the_file(capsys: pytest.CaptureFixture[str]) -> None:
    """/dev/full answers every write with ENOSPC."""
    assert main(["mappings", "-o", "/dev/full"]) == 2
    assert capsys.readouterr().err == "kg: error: /dev/full: No space left on device\n"


def test_disk_full_on_a_regular_file_names_the_file_not_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "graph.ttl"
    target.write_text("previous\n")

    def disk_full(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    assert main(["mappings", "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"kg: error: {target}: No space left on device\n"
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.ttl"]


def test_stale_temporaries_of_dead_processes_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".graph.ttl.{dead_pid}.abcd1234.tmp"
    live = tmp_path / f".graph.ttl.{os.getpid()}.abcd1234.tmp"
    other = tmp_path / f".notes.txt.{dead_pid}.abcd1234.tmp"
    unrelated = tmp_path / "graph.ttl.tmp"
    for path in (stale, live, other, unrelated):
        path.write_text("half\n")
    write_atomically(tmp_path / "graph.ttl", NEW)
    assert not stale.exists()
    assert live.exists()
    assert other.exists()
    assert unrelated.exists()
    assert remove_stale_temporaries(tmp_path) == [other]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["graph.ttl", live.name, unrelated.name])


def test_an_empty_data_name_is_refused_instead_of_loading_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "poison.ttl").write_text("<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n")
    monkeypatch.chdir(tmp_path)
    for empty in ("", " ", "\t\n"):
        assert main(["stats", "--data", empty]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1
        assert "is not a file or folder name" in error

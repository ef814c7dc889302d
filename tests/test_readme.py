"""The README and docs/ say only what is true: every `kg` command they show runs, and docs/queries.md lists every
stored query because it is generated from the queries' own headers."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
from pathlib import Path

import pytest

from kg import KnowledgeGraph, cli
from kg.queries import queries_reference, stored_queries

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
QUERIES_PAGE = ROOT / "docs" / "queries.md"

#: `kg` commands shown but not run here, and why: each needs something a test run does not have.
NOT_RUN = {
    "kg serve": "starts a server that runs until it is stopped (tests/test_server.py runs it)",
    "kg push": "uploads to a SPARQL store listening at the URL (tests/test_remote.py runs one)",
    "--endpoint": "queries a SPARQL store listening at the URL (tests/test_remote.py runs one)",
}

#: Folders the commands read, copied beside their outputs so that a command never writes into the checkout.
READ_BY_COMMANDS = ("data", "ontology", "queries", "tests/fixtures")


def shown_commands() -> list[tuple[str, str]]:
    """(page, command) for every line of a ```bash block that runs `kg`, continuation lines joined."""
    found = []
    for page in PAGES:
        for block in re.findall(r"^```bash\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M):
            for line in block.replace("\\\n", " ").splitlines():
                words = shlex.split(line, comments=True)
                if words and words[0] == "kg":
                    found.append((page.relative_to(ROOT).as_posix(), line.strip()))
    return found


COMMANDS = shown_commands()


def test_the_readme_and_docs_show_kg_commands() -> None:
    pages = {page for page, _command in COMMANDS}
    assert {"README.md", "docs/cli.md", "docs/queries.md"} <= pages
    assert len(COMMANDS) > 20


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme-commands")
    for name in READ_BY_COMMANDS:
        shutil.copytree(ROOT / name, folder / name)
    return folder


@pytest.mark.parametrize(("page", "command"), COMMANDS, ids=[f"{page}: {command[:60]}" for page, command in COMMANDS])
def test_every_kg_command_shown_runs(
    page: str,
    command: str,
    workspace: Path,
    shipped: KnowledgeGraph,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reasons = [reason for marker, reason in NOT_RUN.items() if marker in command]
    if reasons:
        pytest.skip(reasons[0])
    monkeypatch.chdir(workspace)
    loaded = cli._graph
    # The shipped graph is parsed and reasoned once per session; commands given files of their own load them.
    monkeypatch.setattr(cli, "_graph", lambda args: loaded(args) if getattr(args, "data", None) else shipped)
    words = shlex.split(command, comments=True)[1:]
    argv = [match for word in words for match in (sorted(glob.glob(word)) if "*" in word else [word])]
    code = cli.main(argv)
    assert code == 0, f"{page}: `{command}` exited {code}: {capsys.readouterr().err.strip()}"


def test_docs_queries_is_generated_from_the_query_headers() -> None:
    assert QUERIES_PAGE.read_text(encoding="utf-8") == queries_reference(), (
        "docs/queries.md is out of date: kg queries --format markdown > docs/queries.md"
    )


def test_every_stored_query_is_listed_with_a_section() -> None:
    text = QUERIES_PAGE.read_text(encoding="utf-8")
    for query in stored_queries():
        assert f"| [`{query.name}`](#{query.name}) |" in text
        assert f"\n## {query.name}\n" in text

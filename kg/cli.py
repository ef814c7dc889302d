"""The `kg` command line: thin commands over the library, with exit codes 0 ok, 1 failed check, 2 bad input."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kg.command_spec import Command, Constant, help_text
from kg.commands import COMMANDS
from kg.errors import InputError, KGError

if TYPE_CHECKING:
    from kg.command_spec import Graphs
    from kg.graph import KnowledgeGraph

__all__ = ["main"]

_EPILOG = """exit codes:
  0  success
  1  validation failed, or no results where results were required
  2  usage or input error (unknown query, bad parameter, malformed file, unknown format)
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and one line, like every other input error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        command = self.prog.removeprefix("kg").strip()  # main() prints "kg: error:" already
        raise InputError(f"{command + ': ' if command else ''}{message}{_usage_hint(command, message)}")


def _usage_hint(command: str, message: str) -> str:
    """The likely fix of an argparse error: the choice meant by a misspelling, where to find a query's name."""
    if command == "query" and message.endswith("required: name"):
        return "; 'kg queries' lists the stored queries"
    import difflib

    invalid = re.match(r"argument [^:]+: invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if invalid:
        choices = re.findall(r"'([^']*)'", invalid.group(2))
        close = difflib.get_close_matches(invalid.group(1), choices, n=1)
        return f"; did you mean '{close[0]}'?" if close else ""
    return ""


def _unrecognised(extras: Sequence[str], command: str | None) -> InputError:
    """A usage error for words argparse did not expect, naming the option they were probably meant for."""
    import shlex

    pairs = [word for word in extras if "=" in word and not word.startswith("-")]
    hint = ""
    if pairs and command == "query":
        hint = "; did you mean " + " ".join(f"--param {shlex.quote(pair)}" for pair in pairs) + "?"
    elif extras:
        hint = f"; see 'kg {command} --help'" if command else "; see 'kg --help'"
    return InputError(f"{command + ': ' if command else ''}unrecognized arguments: {' '.join(extras)}{hint}")


def _graph(args: argparse.Namespace) -> KnowledgeGraph:
    from kg.graph import KnowledgeGraph

    return KnowledgeGraph.load(getattr(args, "data", None) or (), engine=getattr(args, "engine", "oxigraph"))


def _reasoned_graph(args: argparse.Namespace) -> KnowledgeGraph:
    """The reasoned graph from its snapshot on disk (built on first use): a repeat neither parses nor reasons."""
    from kg.graph import KnowledgeGraph

    return KnowledgeGraph.open(
        getattr(args, "data", None) or (), engine=getattr(args, "engine", "oxigraph"), building=_building_notice
    )


class _Graphs:
    """The graph a command asks for, through this module's functions (tests replace them with a prepared graph)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def loaded(self) -> KnowledgeGraph:
        return _graph(self.args)

    def opened(self) -> KnowledgeGraph:
        return _reasoned_graph(self.args)


@contextlib.contextmanager
def _building_notice() -> Iterator[None]:
    """Say that the first run builds the store, which takes seconds: a spinner on a terminal, one line when piped."""
    from kg.progress import is_terminal, stage

    label = "kg: building the store (first run only; later runs reuse it)"
    if not is_terminal():
        print(f"{label}: reasoning…", file=sys.stderr)
        yield
        return
    with stage(label):
        yield


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Fills in the library constants a help text names (`{limits.STORED_TIMEOUT:g}`) when help is shown, so
    that a command that is only run never imports the modules they live in for its help."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return None if action.help is None else help_text(action.help)


class _Version(argparse.Action):
    """--version, reading the installed version only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from kg import __version__

        parser.exit(message=f"{parser.prog} {__version__}\n")


def _build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command. With `only` the command given, the parser of that command alone: the others
    will not run, and building theirs, with choices and defaults from modules slow to import, would cost every
    run; with `only` empty, every command without its arguments (for `kg --help` and a misspelt command)."""
    parser = _Parser(
        prog="kg",
        description="Query, reason over, validate and export the peripheral neuropathy / vitamin B12 knowledge graph.",
        epilog=_EPILOG,
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show program's version number and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for command in COMMANDS:
        if only and command.name != only:
            continue
        sub: _Parser = commands.add_parser(
            command.name,
            help=command.help,
            description=command.help,
            epilog=f"example:\n  {command.example}\n\n{_EPILOG}",
            formatter_class=_HelpFormatter,
        )
        sub.set_defaults(command_entry=command)
        if only is None or only == command.name:
            for argument in command.arguments:
                options: dict[str, Any] = {
                    key: value.value() if isinstance(value, Constant) else value
                    for key, value in argument.options.items()
                }
                sub.add_argument(*argument.flags, **options)
    return parser


def _command_word(argv: Sequence[str]) -> str:
    """The command the command line runs (its first word that is not an option), or "" when it names none, names
    an unknown one, or asks for the overall help first."""
    for word in argv:
        if word in ("-h", "--help"):
            return ""
        if not word.startswith("-"):
            return word if word in {command.name for command in COMMANDS} else ""
    return ""


def _runner(command: Command) -> Callable[[argparse.Namespace, Graphs], int]:
    module, _, function = command.run.partition(":")
    runner: Callable[[argparse.Namespace, Graphs], int] = getattr(importlib.import_module(module), function)
    return runner


def _quiet_rdflib() -> None:
    """rdflib logs and warns on stderr about bad IRIs and literals, which the loader refuses in one line anyway."""
    import logging

    logger = logging.getLogger("rdflib")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())


class _QuietRdflibOnImport:
    """An import hook that quiets rdflib's logger as rdflib is first imported: most commands, `kg query` on a built
    store among them, never import rdflib, and importing logging up front would cost each of them milliseconds."""

    def find_spec(self, name: str, *_: object) -> None:
        if name == "rdflib":
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
            _quiet_rdflib()


_QUIET_RDFLIB = _QuietRdflibOnImport()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of raising, and prints errors as one line without traceback."""
    warnings.filterwarnings("ignore", module=r"rdflib(\.|$)")
    if "rdflib" in sys.modules:
        _quiet_rdflib()
    elif _QUIET_RDFLIB not in sys.meta_path:
        sys.meta_path.insert(0, _QUIET_RDFLIB)
    words = sys.argv[1:] if argv is None else list(argv)
    parser = _build_parser(only=_command_word(words))
    try:
        args, extras = parser.parse_known_args(words)
        if extras:
            raise _unrecognised(extras, getattr(args, "command", None))
        args.standalone = argv is None  # run as the `kg` program, not from other Python code (see kg.cli_ask)
        return _runner(args.command_entry)(args, _Graphs(args))
    except KGError as error:
        one_line = str(error).replace("\r", "\\r").replace("\n", "\\n")  # a file name may hold a newline
        print(f"kg: error: {one_line}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        return 0
    except OSError as error:  # an output file that cannot be written (disk full, a file where a folder should be)
        named = f"{error.filename}: {error.strerror}" if error.filename is not None and error.strerror else str(error)
        one_line = named.replace("\r", "\\r").replace("\n", "\\n")
        print(f"kg: error: {one_line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kg: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

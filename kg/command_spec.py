"""What an entry of the `kg` command table is: a command, its arguments, and library constants read on use."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol

    from kg.graph import KnowledgeGraph

    class Graphs(Protocol):
        """How a command gets the graph; kg.cli supplies it, so tests can hand every command one prepared graph."""

        def loaded(self) -> KnowledgeGraph:
            """The packaged graph plus the command's --data files, parsed now."""

        def opened(self) -> KnowledgeGraph:
            """The reasoned graph from its snapshot on disk (built, and said so, on first use)."""


__all__ = ["Argument", "Command", "Constant", "arg", "constant", "help_text"]

# Plain classes rather than dataclasses or named tuples: this module is on every command's start-up path, where
# dataclasses would import inspect and each named tuple compiles code.


class Constant:
    """A library constant shown in the help (a choice list, a default), imported only when its command is built."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def value(self) -> object:
        return getattr(importlib.import_module(f"kg.{self.module}"), self.name)


def constant(dotted: str) -> Constant:
    """`constant("limits.DEFAULT_TIMEOUT")`: kg.limits.DEFAULT_TIMEOUT, read when the command needs it."""
    module, _, name = dotted.rpartition(".")
    return Constant(module, name)


_FIELD = re.compile(r"\{(\w+)\.(\w+)(?::([^}]*))?\}")


def help_text(text: str) -> str:
    """A help text with its `{module.CONSTANT:spec}` fields filled in from the library (`:list` joins a collection)."""

    def fill(field: re.Match[str]) -> str:
        value = Constant(field[1], field[2]).value()
        spec = field[3] or ""
        if spec == "list" and isinstance(value, Iterable):
            return ", ".join(str(item) for item in value)
        return format(value, spec)

    return _FIELD.sub(fill, text)


class Argument:
    """One `add_argument` call: its flags and keywords; a `Constant` keyword is resolved when the parser is built."""

    __slots__ = ("flags", "options")

    def __init__(self, flags: tuple[str, ...], options: Mapping[str, object]) -> None:
        self.flags = flags
        self.options = options


def arg(*flags: str, **options: object) -> Argument:
    return Argument(flags, options)


class Command:
    """One `kg` command: `run` names its implementation as "module:function", imported only when it runs."""

    __slots__ = ("arguments", "example", "help", "name", "run")

    def __init__(self, name: str, run: str, help: str, example: str, arguments: tuple[Argument, ...] = ()) -> None:
        self.name = name
        self.run = run
        self.help = help
        self.example = example
        self.arguments = arguments

"""What an entry of the `kg` command table is: a command, its arguments, and library constants read on use."""

from __future__ import annotations

import importlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from kg.graph import KnowledgeGraph

__all__ = ["Argument", "Command", "Constant", "Graphs", "arg", "constant", "help_text"]


class Graphs(Protocol):
    """How a command gets the graph; kg.cli supplies it, so tests can hand every command one prepared graph."""

    def loaded(self) -> KnowledgeGraph:
        """The packaged graph plus the command's --data files, parsed now."""
        ...

    def opened(self) -> KnowledgeGraph:
        """The reasoned graph from its snapshot on disk (built, and said so, on first use)."""
        ...


@dataclass(frozen=True)
class Constant:
    """A library constant shown in the help (a choice list, a default), imported only when its command is built."""

    module: str
    name: str

    def value(self) -> object:
        return getattr(importlib.import_module(f"kg.{self.module}"), self.name)


def constant(dotted: str) -> Constant:
    """`constant("limits.DEFAULT_TIMEOUT")`: kg.limits.DEFAULT_TIMEOUT, read when the command needs it."""
    module, _, name = dotted.rpartition(".")
    return Constant(module, name)


class _HelpFormatter(string.Formatter):
    """`{limits.DEFAULT_TIMEOUT:g}` in a help text imports kg.limits on first mention; `:list` joins a tuple."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        module, _, name = field_name.partition(".")
        return getattr(importlib.import_module(f"kg.{module}"), name), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        return ", ".join(value) if format_spec == "list" else super().format_field(value, format_spec)


def help_text(text: str) -> str:
    """A help text with its `{module.CONSTANT}` fields filled in from the library."""
    return _HelpFormatter().format(text) if "{" in text else text


@dataclass(frozen=True)
class Argument:
    """One `add_argument` call: its flags and keywords; a `Constant` keyword is resolved when the parser is built."""

    flags: tuple[str, ...]
    options: Mapping[str, object]


def arg(*flags: str, **options: object) -> Argument:
    return Argument(flags, options)


@dataclass(frozen=True)
class Command:
    """One `kg` command: `run` names its implementation as "module:function", imported only when it runs."""

    name: str
    run: str
    help: str
    example: str
    arguments: tuple[Argument, ...] = ()

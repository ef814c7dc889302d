"""Blank nodes told apart by what is said about them, so that no output depends on the labels a parser invented."""

from __future__ import annotations

import hashlib
import re

__all__ = ["by_content", "colours", "in_content_order"]

_BLANK = re.compile(rb"_:[A-Za-z0-9_.\-]+")


def colours(lines: list[bytes]) -> dict[bytes, bytes]:
    """Each blank node's label -> a digest of the lines it is in, refined over the digests of the blank nodes next
    to it until no more are told apart (the lists of property chains: three rounds). Blank nodes no round tells
    apart share a digest."""
    labels = [_BLANK.findall(line) for line in lines]
    colour = {label: b"" for found in labels for label in found}
    distinct = 1
    for _ in range(32):
        said: dict[bytes, list[bytes]] = {label: [colour[label]] for label in colour}
        for line, found in zip(lines, labels, strict=True):
            for label in set(found):
                said[label].append(_relabel(line, colour, label))
        colour = {
            label: hashlib.sha256(b"\n".join(sorted(texts))).hexdigest()[:24].encode() for label, texts in said.items()
        }
        if len(set(colour.values())) == distinct:
            break
        distinct = len(set(colour.values()))
    return colour


def by_content(lines: list[bytes]) -> list[bytes]:
    """The lines, sorted, each blank node written as its digest (`colours`): the same for every parse."""
    colour = colours(lines)
    return sorted(_relabel(line, colour) for line in lines)


def in_content_order(parts: list[list[str]]) -> list[list[str]]:
    """Each part's lines without blank nodes as they are, then those with blank nodes sorted as `by_content`
    sorts them: numbering blank nodes by first appearance then gives the same labels, and the same document,
    whatever labels the lines came with. (Blank nodes no round of `colours` tells apart may swap labels, which
    for the lists and restrictions of an ontology changes nothing.)"""
    blank = [[line.encode("utf-8") for line in part if "_:" in line] for part in parts]
    if not any(blank):
        return parts
    colour = colours([line for lines in blank for line in lines])
    return [
        [line for line in part if "_:" not in line]
        + [line.decode("utf-8") for line in sorted(lines, key=lambda line: _relabel(line, colour))]
        for part, lines in zip(parts, blank, strict=True)
    ]


def _relabel(line: bytes, colour: dict[bytes, bytes], me: bytes = b"") -> bytes:
    """The line with each blank node written as its colour, and `me` as "_:me"."""
    return _BLANK.sub(lambda match: b"_:" + (b"me" if match.group() == me else colour[match.group()]), line)

"""The asserted graph as exact N-Triples: the user's files, the packaged ontology and data, and the mapping set."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.resources.abc import Traversable
from pathlib import Path

from kg.packaged import data_files, mapping_file, ontology_files

__all__ = ["asserted_ntriples", "expand", "merged", "ntriples_of"]


def ntriples_of(source: Path | Traversable, *, label: str | None = None) -> bytes:
    """kg.load.ntriples_of, imported on first use: a command that opens a built store never loads the parsers."""
    from kg.load import ntriples_of as read

    return read(source, label=label)


def _mapping_ntriples() -> bytes:
    """The packaged SSSOM mapping set as SKOS triples."""
    from kg.mappings import mapping_ntriples, read_mapping_set

    metadata, rows = read_mapping_set(mapping_file())
    return mapping_ntriples(metadata, rows)


def merged(parts: list[bytes]) -> bytes:
    """N-Triples documents as one: every triple once, lines sorted (blank node labels differ between files).

    `parts` is emptied as it is read, so that each document's bytes are freed once its lines are taken: at a
    million triples the documents, their lines and the answer would otherwise all be held at once."""
    lines: set[bytes] = set()
    while parts:
        lines.update(parts.pop().split(b"\n"))
    ordered = sorted(line for line in lines if line.strip())
    del lines
    return b"\n".join(ordered) + b"\n" if ordered else b""


def expand(extra: Iterable[str | Path]) -> list[Path]:
    given = list(extra)
    if not given:
        return []
    from kg.store import expand_paths  # only a command given --data files needs the loader

    return expand_paths(given)


def asserted_ntriples(
    extra: Iterable[str | Path] = (), *, packaged: bool = True, rule_lines: dict[str, bytes] | None = None
) -> tuple[bytes, list[str], list[Path]]:
    """The asserted N-Triples, the sources they came from, and the user's files (folders expanded).

    `rule_lines`, if given, receives each user file's lines the integrity rules read (by file name): taken
    from the load, so the checks never parse the file a second time."""
    # The user's files are read first, so a bad one is reported before any time goes into the packaged ones.
    own = expand(extra)
    parts = [ntriples_of(path) for path in own]
    if rule_lines is not None:
        from kg.integrity_lines import what_user_rules_read

        rule_lines.update((str(path), what_user_rules_read(data)) for path, data in zip(own, parts, strict=True))
    sources: list[str] = []
    if packaged:
        for entry in [*ontology_files(), *data_files()]:
            parts.append(ntriples_of(entry, label=f"kg/{entry.name}"))
            sources.append(f"package:{entry.name}")
        parts.append(_mapping_ntriples())
        sources.append(f"package:{mapping_file().name}")
    sources.extend(str(path) for path in own)
    return merged(parts), sources, own

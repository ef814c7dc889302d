"""Canonical N-Triples lines: whether a document names a blank node, told from its bytes alone."""

from __future__ import annotations

import pytest

from kg.nt_lines import names_blank_nodes

IRI = "<https://example.org/a> <https://example.org/p>"


@pytest.mark.parametrize(
    ("document", "names"),
    [
        (f"{IRI} <https://example.org/b> .\n", False),
        (f'{IRI} "a _:b ." .\n', False),
        (f'{IRI} "x _:b"@en .\n{IRI} "_:b"^^<https://example.org/t> .\n', False),
        (f"{IRI} _:b1 .\n", True),
        (f"{IRI} <https://example.org/b> .\n_:b1 <https://example.org/p> <https://example.org/b> .\n", True),
        ("_:b1 <https://example.org/p> <https://example.org/b> .", True),
        (f'{IRI} "a _:b ." .\n{IRI} _:c', False),
    ],
)
def test_a_blank_node_is_a_subject_or_an_object_never_text_in_a_literal(document: str, names: bool) -> None:
    assert names_blank_nodes(document.encode("utf-8")) is names

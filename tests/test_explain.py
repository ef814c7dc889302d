"""Explanations: the stored query `derivation` and `kg explain` show each link down to the article's own words."""

from __future__ import annotations

import pytest

from kg import KnowledgeGraph, ParameterError
from kg.cli import main

DIET_CLAIM = "A strict vegetarian diet eliminates the only sources of dietary B12"
DEFICIENCY_CLAIMS = (
    "Peripheral neuropathy has several possible causes, among them a lack of Vitamin B12 23.",
    "One possible cause of peripheral neuropathy is chronic deficiency of vitamin B12 1234.",
)


def test_the_derivation_query_reaches_both_premises_quotes(shipped: KnowledgeGraph) -> None:
    rows = shipped.query("derivation", subject="strict vegetarian diet", object="peripheral neuropathy").dicts()
    quotes = {str(row["quote"]) for row in rows if "quote" in row}
    assert any(DIET_CLAIM in quote for quote in quotes)
    assert set(DEFICIENCY_CLAIMS) <= quotes
    [hedge] = {str(row["hedge"]) for row in rows if "hedge" in row}
    assert hedge == "possible; chronic"
    by_quote = {str(row["quote"]): row for row in rows if "quote" in row}
    chronic = by_quote[DEFICIENCY_CLAIMS[1]]
    assert (str(chronic["start"]), str(chronic["end"]), str(chronic["references"])) == ("1594", "1680", "1,2,3,4")
    assert {str(row["ruleLabel"]) for row in rows if "ruleLabel" in row} == {"transitivity", "sub-property"}


def test_explain_builds_the_tree_in_path_order(shipped: KnowledgeGraph) -> None:
    explanation = shipped.explain("strict vegetarian diet", "peripheral neuropathy")
    [link] = explanation.links
    assert (link.subject, link.predicate, link.obj) == ("strict vegetarian diet", "leads to", "peripheral neuropathy")
    assert link.rule == "transitivity of 'leads to'"
    assert link.hedge == "possible; chronic"
    first, second = link.premises
    assert (first.subject, first.obj) == ("strict vegetarian diet", "vitamin B12 deficiency")
    assert (second.subject, second.obj) == ("vitamin B12 deficiency", "peripheral neuropathy")
    [stated] = second.premises
    assert stated.stated
    assert [quote.text for quote in stated.quotes] == list(DEFICIENCY_CLAIMS)


def test_a_stated_link_is_explained_by_its_claims(shipped: KnowledgeGraph) -> None:
    explanation = shipped.explain("vitamin B12 deficiency", "peripheral neuropathy")
    stated = [link for link in explanation.links if link.stated]
    assert [(link.predicate, len(link.quotes)) for link in stated] == [("causes", 2)]
    text = explanation.to_text()
    assert "vitamin B12 deficiency —causes→ peripheral neuropathy (stated)" in text
    assert '"One possible cause of peripheral neuropathy is chronic deficiency of vitamin B12 1234."' in text
    assert "[characters 1594–1680; references 1,2,3,4]" in text


def test_no_link_gives_no_explanation_and_a_bad_name_an_error(shipped: KnowledgeGraph) -> None:
    assert shipped.explain("fish", "tingling").links == []
    with pytest.raises(ParameterError, match="closest labels"):
        shipped.explain("fishy", "tingling")


def run_kg(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`kg ARGS` in this process (the test is about the command's output and exit code, not a process start):
    the exit code, stdout and stderr."""
    capsys.readouterr()
    code = main(list(args))
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def test_kg_explain_prints_the_tree_and_exits_by_the_rules(
    shipped: KnowledgeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_kg(capsys, "explain", "strict vegetarian diet", "peripheral neuropathy")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        "strict vegetarian diet —leads to→ peripheral neuropathy (derived by transitivity of 'leads to'; "
        "hedge: possible; chronic)"
    )
    assert any(line.startswith('      "A deficiency can be caused') for line in lines)
    assert sum(quote in out for quote in DEFICIENCY_CLAIMS) == 2
    code, _out, err = run_kg(capsys, "explain", "fish", "tingling")
    assert (code, err.strip()) == (1, "kg: error: no stated or derived link from 'fish' to 'tingling'")
    assert run_kg(capsys, "explain", "fishy", "tingling")[0] == 2

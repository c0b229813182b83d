"""The `outline` planner: Markdown requirements read as a plan, deterministically."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexten.common.start_flow import Plan
from contexten.daemon.slices.delivery.outline import RequirementsError, outline_plan


def test_headings_are_components_with_their_acceptance_commands_and_paths() -> None:
    plan = outline_plan(
        "# Search\ncontext\n## Index\nBuild it.\nAccept: `pytest -k index`\nPaths: `src/search/*`, `tests/search`\n"
        "## Query\n```\n## not a heading\n```\naccept: `make query`\n"
    )
    assert plan.title == "Search" and plan.planner == "outline"
    index, query = plan.components
    assert (index.title, index.body, index.accept, index.paths) == (
        "Index", "Build it.", ["pytest -k index"], ["src/search/*", "tests/search"]
    )  # fmt: skip
    assert query.title == "Query" and "## not a heading" in query.body and query.accept == ["make query"]


def test_without_headings_each_top_level_list_item_is_a_component() -> None:
    plan = outline_plan("# Chores\r\n- Bump the version\r\n  in two places\r\n1. Tag it\r\n   Accept: `git tag`\r\n")
    assert [c.title for c in plan.components] == ["Bump the version", "Tag it"]
    assert plan.components[0].body == "in two places" and plan.components[1].accept == ["git tag"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("\n \t\n", "empty"),
        ("just prose\n- an item\n", "no title"),
        ("# Title\nprose only\n", "name no components"),
        ("# Title\n## \nbody\n", "component 1 has an empty heading"),
        ("# T\n## A\x00\n", "not text"),
    ],
)
def test_what_cannot_be_planned_is_refused_saying_why(text: str, words: str) -> None:
    with pytest.raises(RequirementsError, match=words):
        outline_plan(text)


@given(st.text(max_size=400))
def test_any_text_is_a_plan_or_a_named_refusal(text: str) -> None:
    try:
        plan = outline_plan(text)
    except RequirementsError:
        return
    assert isinstance(plan, Plan) and plan.title and plan.components
    assert outline_plan(text) == plan  # deterministic

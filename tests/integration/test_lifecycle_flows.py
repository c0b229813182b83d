"""The development-lifecycle flows on the Start Flow's machinery, end to end with a real daemon, a real git
repository, the local tracker and scripted agents: `feature_development` (one component, research only
when asked) and `bug_fix_workflow` (a reproducing test accepted only if the tests pass without it and fail
with it; then the fix built on it, accepted only if the tests, that one included, pass and the test is
kept; the two merge together)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import cli, cli_json
from tests.integration.start_flow_helpers import Setup, agent_table, config, git, set_up

# The project's tests: every script under tests/ must pass.
TESTS = ["sh", "-c", 'for t in tests/*.sh; do [ -e "$t" ] || continue; sh "$t" || exit 1; done']
BUG = """\
# The greeting is misspelt
greet.txt says "helo"; it should say "hello".
TEST tests/greet.sh: grep -q hello greet.txt
WRITE greet.txt: hello
"""
FEATURE = """\
# Farewells
Say goodbye too.

## Details
Headings inside a feature are part of its one body.
WRITE bye.txt: bye
Accept: `grep -q bye bye.txt`
"""


@pytest.fixture
def project(home: Path) -> Iterator[Setup]:
    agents = agent_table("good", "good") + agent_table("weak", "weak") + agent_table("cheat", "cheat")
    setup = set_up(home, config(agents, max_attempts=2, test_command=TESTS))
    (setup.repo / "greet.txt").write_text("helo\n")  # the bug
    git(setup.repo, "add", ".")
    git(setup.repo, "commit", "-qm", "greet")
    yield setup
    setup.daemon.stop()


def test_feature_development_is_one_component_without_research(project: Setup) -> None:
    plan = cli_json(project.home, "start", "repo", "-r", str(project.requirements(FEATURE)), "--feature",
                    "--plan-only")  # fmt: skip
    assert plan["shape"] == "feature_development" and len(plan["components"]) == 1
    assert plan["components"][0]["research"] is False and plan["components"][0]["accept"] == ["grep -q bye bye.txt"]
    assert "## Details" in plan["components"][0]["body"]
    asked = cli_json(project.home, "start", "repo", "-r", str(project.requirements(FEATURE)), "--feature",
                     "--research", "--plan-only")  # fmt: skip
    assert asked["components"][0]["research"] is True

    flow, code = project.start_json(FEATURE, "--feature", "--agent", "good", "--wait")
    assert code == 0, flow
    assert [(i["kind"], i["state"]) for i in flow["items"]] == [("implementation", "merged")]
    assert git(project.repo, "show", "main:bye.txt") == "bye\n"


def test_a_bug_is_reproduced_then_fixed_and_both_merge(project: Setup) -> None:
    bug = cli_json(project.home, "issue", "create", "repo", "The greeting is misspelt", "--body",
                   BUG.split("\n", 1)[1])  # fmt: skip
    flow = cli_json(project.home, "start", "repo", "--bug", bug["identifier"], "--agent", "good", "--wait",
                    timeout=180)  # fmt: skip
    assert flow["state"] == "completed", flow
    repro, fix = flow["items"]
    assert (repro["kind"], repro["state"], fix["kind"], fix["state"]) == ("reproduction", "done",
                                                                          "implementation", "merged")  # fmt: skip
    gates = {g["name"]: g for g in repro["gates"]}
    assert gates["tests without the change"]["passed"] and gates["reproduces"]["passed"]
    assert {g["name"] for g in fix["gates"]} >= {"reproduction kept", "tests"}
    # The fix merged with its test: both are on main, and the test passes there.
    assert git(project.repo, "show", "main:tests/greet.sh") == "grep -q hello greet.txt\n"
    assert git(project.repo, "show", "main:greet.txt") == "hello\n"
    assert len(git(project.repo, "log", "--merges", "--format=%H", "main").split()) == 1
    titles = [i["title"] for i in project.issues() if i.get("parent") == flow["main_issue"]]
    assert titles[:2] == ["Reproduce: The greeting is misspelt", "Implement: The greeting is misspelt"]


def test_a_test_that_reproduces_nothing_is_refused(project: Setup) -> None:
    flow, code = project.start_json(BUG, "--fix", "--agent", "weak", "--wait")
    assert code == 1 and flow["state"] == "escalated"
    repro = flow["items"][0]
    assert repro["state"] == "escalated" and repro["attempt"] == 2
    reproduces = next(g for g in repro["gates"] if g["name"] == "reproduces")
    assert not reproduces["passed"] and "reproduces nothing" in reproduces["output"]
    assert flow["items"][1]["attempt"] == 0  # no fix without a reproduction
    assert git(project.repo, "show", "main:greet.txt") == "helo\n"  # nothing merged


def test_a_fix_that_deletes_the_reproducing_test_is_refused(project: Setup) -> None:
    flow, code = project.start_json(BUG, "--fix", "--agent", "cheat", "--wait")
    assert code == 1, flow
    fix = flow["items"][1]
    assert flow["items"][0]["state"] == "done" and fix["state"] == "escalated"
    kept = next(g for g in fix["gates"] if g["name"] == "reproduction kept")
    assert not kept["passed"] and "tests/greet.sh" in kept["output"]
    assert git(project.repo, "show", "main:greet.txt") == "helo\n"


def test_a_bug_that_is_not_an_issue_is_refused(project: Setup) -> None:
    refused = cli(project.home, "start", "repo", "--bug", "LOCAL-999")
    assert refused.returncode == 1 and "no issue LOCAL-999" in refused.stderr
    assert cli_json(project.home, "work") == []


COMPLEX = """\
def grade(score):
    if score >= 90:
        return "A"
    elif score >= 80:
        return "B"
    elif score >= 70:
        return "C"
    elif score >= 60:
        return "D"
    elif score >= 50:
        return "E"
    return "F"
"""
SIMPLE = """\
import bisect

LIMITS, GRADES = [50, 60, 70, 80, 90], "FEDCBA"


def grade(score):
    return GRADES[bisect.bisect_right(LIMITS, score)]
"""
GRADES_TEST = ["python3", "-c", "import calc; assert [calc.grade(s) for s in (95, 85, 75, 65, 55, 9)] == [*'ABCDEF']"]


@pytest.fixture
def hotspot(home: Path) -> Iterator[Setup]:
    agents = agent_table("simplify", "simplify") + agent_table("worsen", "worsen")
    setup = set_up(home, config(agents, max_attempts=1, test_command=GRADES_TEST))
    (setup.repo / "src").mkdir()
    (setup.repo / "src" / "calc.py").write_text(COMPLEX)
    (setup.repo / "src" / "calc.py.simple").write_text(SIMPLE)
    (setup.repo / "calc.py").write_text("from src.calc import grade  # noqa: F401\n")
    git(setup.repo, "add", ".")
    git(setup.repo, "commit", "-qm", "grades")
    yield setup
    setup.daemon.stop()


def test_refactoring_the_hotspots_lowers_their_complexity(hotspot: Setup) -> None:
    plan = cli_json(hotspot.home, "start", "repo", "--refactor", "--scope", "src", "--plan-only")
    assert plan["shape"] == "autonomous_refactoring" and plan["planner"] == "analysis"
    assert [c["title"] for c in plan["components"]] == ["Refactor grade in src/calc.py"]
    flow = cli_json(hotspot.home, "start", "repo", "--refactor", "--scope", "src", "--agent", "simplify", "--wait",
                    timeout=180)  # fmt: skip
    assert flow["state"] == "completed", flow
    item = flow["items"][0]
    assert item["state"] == "merged"
    complexity = next(g for g in item["gates"] if g["name"] == "complexity")
    assert complexity["passed"] and "6 (src/calc.py:1 grade) before" in complexity["output"]
    assert "bisect" in git(hotspot.repo, "show", "main:src/calc.py")
    # The change's blast radius is reported with the gates (and as pr.impact); it never blocks.
    impact = next(g for g in item["gates"] if g["name"] == "impact")
    assert impact["passed"] and "src/calc.py:grade" in impact["output"]
    assert any(e["number"] == item["pull_request"] and e["changed"] >= 1 for e in hotspot.events("pr.impact"))
    assert "cyclomatic complexity 6" in flow["requirements"]  # the main issue says what was chosen and why


def test_a_refactoring_that_adds_complexity_is_refused(hotspot: Setup) -> None:
    result = cli(hotspot.home, "start", "repo", "--refactor", "--agent", "worsen", "--wait", "--json", timeout=180)
    flow = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else result.stderr
    assert result.returncode == 1 and isinstance(flow, dict) and flow["state"] == "escalated", flow
    complexity = next(g for g in flow["items"][0]["gates"] if g["name"] == "complexity")
    assert not complexity["passed"] and "did not go down" in complexity["output"]
    assert "tangle" not in git(hotspot.repo, "show", "main:src/calc.py")

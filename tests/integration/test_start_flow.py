"""The Start Flow end to end: a real daemon, a real git repository, the local tracker and scripted command
agents (tests/agents/scripted_agent.py): one that writes the right change, one that breaks a test first
and fixes it given the restructuring prompt, one that never succeeds, one that hangs, one that changes
nothing, one that floods its output."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from contexten.client.connection import DaemonClient
from contexten.common.protocol.delivery import StartWork
from tests.helpers import cli, cli_json, wait_for
from tests.integration.start_flow_helpers import (
    ONE_COMPONENT,
    REQUIREMENTS,
    Setup,
    agent_table,
    config,
    git,
    set_up,
)

# The flows' milestones go to a log receiver: the outbox shows which were told.
MILESTONES = """
[notify.receivers.team]
kind = "log"
[[notify.routes]]
match = { kind = ["start_flow.planned", "start_flow.item_merged", "start_flow.completed", "start_flow.failed"] }
receiver = "team"
"""


@pytest.fixture
def good(home: Path) -> Iterator[Setup]:
    setup = set_up(home, config(agent_table("good", "good"), agent_table("flaky", "flaky"),
                                agent_table("noop", "noop"), agent_table("leave", "good", "--leave"))
                   + MILESTONES)  # fmt: skip
    yield setup
    setup.daemon.stop()


def test_requirements_become_merged_validated_code(good: Setup) -> None:
    flow, code = good.start_json(REQUIREMENTS, "--agent", "good", "--wait")
    assert code == 0, flow
    assert flow["state"] == "completed" and flow["title"] == "Greetings"
    kinds = [(i["kind"], i["state"]) for i in flow["items"]]
    assert kinds == [("research", "done"), ("implementation", "merged")] * 2
    # The tracker holds the plan: the main issue, its four sub-issues in order, each implementation blocked
    # by its research.
    issues = {i["identifier"]: i for i in good.issues()}
    main = issues[flow["main_issue"]]
    assert main["state"] == "completed" and "Say hello and goodbye." in main["description"]
    assert "Validation criteria" in main["description"] and "`grep -q hello greet.txt`" in main["description"]
    subs = [issues[c] for c in main["children"]]
    assert [s["title"] for s in subs] == ["Research: Greeter", "Implement: Greeter", "Research: Farewell",
                                          "Implement: Farewell"]  # fmt: skip
    assert subs[1]["blocked_by"] == [subs[0]["identifier"]] and subs[3]["blocked_by"] == [subs[2]["identifier"]]
    assert all(s["state"] == "completed" for s in subs)
    # Research findings are a comment on the research issue and part of the implementation's prompt.
    assert any("Findings for" in c for c in good.comments(subs[0]["identifier"]))
    prompt = good.attempt_file(f"cx-{flow['id']}-2-1", "prompt.md").read_text()
    assert f"Research findings ({subs[0]['identifier']})" in prompt and "the change goes at the root" in prompt
    # Merged for real: --no-ff merges of the agents' branches, the files on main.
    assert git(good.repo, "show", "main:greet.txt") == "hello\n" and git(good.repo, "show", "main:bye.txt") == "bye\n"
    merges = [line.split() for line in git(good.repo, "log", "--merges", "--format=%P", "main").splitlines()]
    assert len(merges) == 2 and all(len(parents) == 2 for parents in merges)
    gates = {(g["item"], g["gate"]["name"]) for g in good.events("work.gate")}
    assert {(2, "diff"), (2, "merge"), (2, "tests"), (2, "accept: grep -q hello greet.txt"), (2, "analysis"),
            (2, "checks"), (4, "tests")} <= gates  # fmt: skip
    assert [g["name"] for g in flow["final_gates"]] == ["tests", "accept: grep -q hello greet.txt"]
    assert all(g["passed"] for g in flow["final_gates"])
    # No worktree is left behind; the user's working copy is clean.
    assert git(good.repo, "worktree", "list").count("\n") == 1
    assert git(good.repo, "status", "--porcelain") == ""
    # Its milestones were told once each, though the flow and its items were saved many times on the way.
    told = good.sql("SELECT json_extract(notice, '$.kind'), json_extract(notice, '$.title') FROM notify_outbox "
                    "WHERE json_extract(notice, '$.labels.flow_id') = ? ORDER BY id", str(flow["id"]))  # fmt: skip
    implementations = {i["issue"] for i in flow["items"] if i["kind"] == "implementation"}
    assert told[0] == ("start_flow.planned", f"Start Flow #{flow['id']} planned: Greetings")
    assert told[-1] == ("start_flow.completed", f"Start Flow #{flow['id']} completed: Greetings")
    merged = told[1:-1]  # in the order they merged, which parallel items decide
    assert sorted(merged) == sorted(("start_flow.item_merged", f"Start Flow #{flow['id']}: {issue} merged")
                                    for issue in implementations)  # fmt: skip


def test_a_failed_gate_opens_a_restructuring_issue_and_the_fix_merges(good: Setup) -> None:
    flow, code = good.start_json(ONE_COMPONENT, "--agent", "flaky", "--wait")
    assert code == 0, flow
    item = flow["items"][1]
    assert item["state"] == "merged" and item["attempt"] == 2 and len(item["restructuring"]) == 1
    restructuring = next(i for i in good.issues() if i["identifier"] == item["restructuring"][0])
    assert restructuring["parent"] == flow["main_issue"]
    failed = next(i for i in good.issues() if i["identifier"] == item["issue"])
    # Related to the failed one: it blocks it (as the research did).
    assert failed["blocked_by"] == [flow["items"][0]["issue"], restructuring["identifier"]]
    assert "Gate `tests` failed" in restructuring["description"] and "Attempt 1 of 3" in restructuring["description"]
    assert "greet.txt" in restructuring["description"]  # what the diff touched
    # The restructuring attempt got the failure in its prompt and ran as CONTEXTEN_ISSUE_KIND=restructuring.
    prompt = good.attempt_file(f"cx-{flow['id']}-2-2", "prompt.md").read_text()
    assert "What failed in the previous attempt" in prompt and "Gate `tests` failed" in prompt
    log = good.attempt_file(f"cx-{flow['id']}-2-2", "log").read_text()
    assert f"{restructuring['identifier']} restructuring attempt 2" in log
    # The failed attempt's pull request is closed, the fix's merged.
    states = {head: state for _n, head, state in good.pull_requests()}
    assert sorted(states.values()) == ["closed", "merged"]
    assert git(good.repo, "show", "main:greet.txt") == "hello\n"


def test_an_agent_that_changes_nothing_has_failed_its_attempt(good: Setup) -> None:
    flow, code = good.start_json(ONE_COMPONENT, "--agent", "noop", "--wait")
    assert code == 1
    assert flow["state"] == "escalated"
    research, implementation = flow["items"]
    # Research with no findings and code with no commit are failures whatever the exit code said.
    assert research["state"] == "escalated" and "no findings" in research["error"]
    assert implementation["state"] == "waiting" and implementation["attempt"] == 0
    escalated = good.events("work.escalated")
    assert escalated and escalated[0]["item"] == 1 and "3 attempts failed" in escalated[0]["reason"]
    assert any("needs a person" in c for c in good.comments(flow["main_issue"]))
    assert any(e.get("source") == "start_flow" for e in good.events("alert"))


def test_a_research_item_marked_done_by_hand_lets_the_flow_go_on(good: Setup) -> None:
    flow, code = good.start_json(ONE_COMPONENT, "--agent", "noop", "--wait")
    assert code == 1 and flow["items"][0]["state"] == "escalated"
    done = cli_json(good.home, "work", str(flow["id"]), "--done", "1")
    assert done["items"][0]["state"] == "done"
    # The implementation item now runs (and, with this agent, fails for want of a change).
    wait_for(lambda: good.work(flow["id"])["items"][1]["attempt"] >= 1, 60, "the implementation to start")
    wait_for(lambda: good.work(flow["id"])["state"] == "escalated", 60, "the implementation to escalate")
    final = good.work(flow["id"])
    assert final["items"][1]["failure"] == "no_change" and "left no commit" in final["items"][1]["error"]


def test_what_an_agent_leaves_uncommitted_is_committed_naming_the_issue(good: Setup) -> None:
    flow, code = good.start_json(ONE_COMPONENT, "--agent", "leave", "--wait")
    assert code == 0, flow
    issue = flow["items"][1]["issue"]
    subjects = git(good.repo, "log", "--format=%s", "main").splitlines()
    assert f"{issue}: Greeter" in subjects


def test_plan_only_shows_the_plan_and_creates_nothing(good: Setup) -> None:
    plan = cli_json(good.home, "start", "repo", "-r", str(good.requirements(REQUIREMENTS)), "--plan-only")
    assert plan["title"] == "Greetings" and [c["title"] for c in plan["components"]] == ["Greeter", "Farewell"]
    assert plan["components"][0]["accept"] == ["grep -q hello greet.txt"]
    text = cli(good.home, "start", "repo", "-r", str(good.requirements(REQUIREMENTS)), "--plan-only").stdout
    assert "#2   implementation  Greeter  (after #1)" in text
    assert good.issues() == [] and cli_json(good.home, "work") == []


@pytest.mark.parametrize(
    ("text", "args", "words"),
    [
        ("", (), "the requirements are empty"),
        ("   \n\n", (), "the requirements are empty"),
        ("no title here\n- a\n", (), "no title"),
        ("# Title only\n\nprose\n", (), "name no components"),
        (REQUIREMENTS, ("--agent", "nobody"), "agent nobody: no such agent; the agents are: good"),
    ],
)
def test_bad_input_is_refused_by_name_and_changes_nothing(good: Setup, text: str, args: tuple[str, ...],
                                                          words: str) -> None:  # fmt: skip
    result = good.start(text, *args)
    assert result.returncode == 1 and words in result.stderr, result.stderr
    assert good.issues() == [] and cli_json(good.home, "work") == []


def test_an_unreadable_requirements_file_is_refused(good: Setup) -> None:
    missing = cli(good.home, "start", "repo", "-r", str(good.home / "nope.md"))
    assert missing.returncode == 1 and "cannot read the requirements file" in missing.stderr
    binary = good.home / "bin.md"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    result = cli(good.home, "start", "repo", "-r", str(binary))
    assert result.returncode == 1 and "not UTF-8 text" in result.stderr
    assert cli_json(good.home, "work") == []


def test_a_missing_agent_binary_is_refused(home: Path) -> None:
    setup = set_up(home, config('[agents.ghost]\nkind = "command"\ncommand = ["no-such-agent-binary", "-p"]\n\n'))
    try:
        result = setup.start(ONE_COMPONENT)
        assert result.returncode == 1
        assert "agent ghost cannot run: its command 'no-such-agent-binary' is not found on PATH" in result.stderr
        assert setup.issues() == []
    finally:
        setup.daemon.stop()


def test_a_hanging_agent_is_stopped_whole_and_the_item_escalates(home: Path) -> None:
    setup = set_up(home, config(agent_table("hang", "hang", idle_timeout_seconds=1.5), max_attempts=1))
    try:
        flow, code = setup.start_json(ONE_COMPONENT, "--agent", "hang", "--wait")
        assert code == 1 and flow["state"] == "escalated"
        research = flow["items"][0]
        assert research["failure"] == "stalled" and "wrote nothing for 1.5s" in research["error"]
        # The agent and the child it started are gone: the whole process group was stopped.
        wait_for(lambda: not setup.agents(f"cx-{flow['id']}-"), 30, "the agent's processes to end")
    finally:
        setup.daemon.stop()


def test_an_agent_that_floods_its_output_is_stopped(home: Path) -> None:
    setup = set_up(home, config(agent_table("flood", "flood", max_log_bytes=200_000), max_attempts=1))
    try:
        flow, code = setup.start_json(ONE_COMPONENT, "--agent", "flood", "--wait")
        assert code == 1
        assert flow["items"][0]["failure"] == "flooded" and "more than the 200000" in flow["items"][0]["error"]
        wait_for(lambda: not setup.agents(f"cx-{flow['id']}-"), 30, "the agent to end")
        log = cli(setup.home, "work", str(flow["id"]), "--log", "1").stdout
        assert log.endswith("x" * 100)
    finally:
        setup.daemon.stop()


def test_an_agent_that_never_succeeds_escalates_after_max_attempts_and_a_retry_gives_one_more(home: Path) -> None:
    setup = set_up(home, config(agent_table("never", "never"), max_attempts=2,
                                start_flow="stall_after_seconds = 600\n"))  # fmt: skip
    try:
        flow, code = setup.start_json(ONE_COMPONENT, "--agent", "never", "--wait")
        assert code == 1 and flow["state"] == "escalated"
        item = flow["items"][1]
        assert item["state"] == "escalated" and item["attempt"] == 2
        assert "failed validation in all 2 attempts" in item["error"]
        assert len(item["restructuring"]) == 1  # one restructuring issue per failed attempt that gets another
        retried = cli_json(setup.home, "work", str(flow["id"]), "--retry", "2")
        assert retried["items"][1]["max_attempts"] == 3 and retried["state"] == "running"
        wait_for(lambda: setup.work(flow["id"])["state"] == "escalated", 60, "the third attempt to fail")
        assert setup.work(flow["id"])["items"][1]["attempt"] == 3
        assert len(setup.events("work.escalated")) == 2
    finally:
        setup.daemon.stop()


def test_pause_holds_new_attempts_and_resume_lets_them_go(home: Path) -> None:
    hold = home / "hold"
    os.mkfifo(hold)
    setup = set_up(home, config(agent_table("slow", "slow", env={"HOLD_FILE": str(hold)})))
    try:
        flow = setup.start_flow(ONE_COMPONENT, "--agent", "slow")
        wait_for(lambda: setup.work(flow)["items"][0]["state"] == "researching", 30, "the research to start")
        assert cli_json(setup.home, "work", str(flow), "--pause")["paused"] is True
        hold.write_text("go")  # the research under way finishes (it was reading the FIFO)...
        wait_for(lambda: setup.work(flow)["items"][0]["state"] == "done", 30, "the research to finish")
        # ...but nothing new starts while the flow is paused.
        wait_for(lambda: setup.work(flow)["items"][1]["waiting_for"] == "a resume", 30, "the item to wait")
        assert setup.work(flow)["items"][1]["attempt"] == 0
        cli_json(setup.home, "work", str(flow), "--resume")
        wait_for(lambda: setup.work(flow)["state"] == "completed", 60, "the flow to complete")
    finally:
        setup.daemon.stop()


def test_cancel_stops_the_agent_and_ends_the_flow(home: Path) -> None:
    setup = set_up(home, config(agent_table("hang", "hang", idle_timeout_seconds=600)))
    try:
        flow = setup.start_flow(ONE_COMPONENT, "--agent", "hang")
        wait_for(lambda: bool(setup.agents(f"cx-{flow}-1-1")), 30, "the agent to start")
        cancelled = cli_json(setup.home, "work", str(flow), "--cancel")
        assert cancelled["state"] == "cancelled" and {i["state"] for i in cancelled["items"]} == {"cancelled"}
        wait_for(lambda: not setup.agents(f"cx-{flow}-"), 30, "the agent to be stopped")
        assert any("Cancelled by a person" in c for c in setup.comments(cancelled["main_issue"]))
        again = cli(setup.home, "work", str(flow), "--resume")
        assert again.returncode == 1 and "has ended (cancelled)" in again.stderr
    finally:
        setup.daemon.stop()


def test_a_start_sent_again_with_its_key_makes_one_flow(good: Setup) -> None:
    async def twice() -> tuple[int, int]:
        client = DaemonClient(good.daemon.paths)
        try:
            request = StartWork(project="repo", requirements=ONE_COMPONENT, agent="good", key="k-1")
            first = await client.call(request)
            second = await client.call(request)
            return first.id, second.id
        finally:
            await client.aclose()

    first, second = asyncio.run(twice())
    assert first == second
    assert len(cli_json(good.home, "work")) == 1

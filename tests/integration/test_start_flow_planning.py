"""The `agent` planner and the item deadline, with a real daemon and scripted agents: a valid JSON plan is
used as is; an invalid one is sent back once with the errors and the corrected plan used; one that never
validates falls back to the outline and says so in the flow's notes. An item still at work past
`stall_after_seconds` escalates, and its agent is stopped."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import wait_for
from tests.integration.start_flow_helpers import (
    ONE_COMPONENT,
    REQUIREMENTS,
    agent_table,
    config,
    git,
    set_up,
)


def planners(home: Path) -> str:
    return config(*(agent_table(f"plan-{m}", "good", env={"PLAN_MODE": m}) for m in ("valid", "fix", "never")))


def test_an_agent_plan_is_checked_against_the_schema_and_used(home: Path) -> None:
    setup = set_up(home, planners(home))
    try:
        flow, code = setup.start_json(REQUIREMENTS, "--agent", "plan-valid", "--planner", "agent", "--wait")
        assert code == 0, flow
        assert flow["planner"] == "agent" and flow["title"] == "Greetings, planned"
        assert [(i["kind"], i["title"]) for i in flow["items"]] == [("implementation", "Greeter")]  # its plan
        assert "planned by the scripted agent" in flow["notes"]
        assert git(setup.repo, "show", "main:greet.txt") == "hello\n"

        fixed, code = setup.start_json(REQUIREMENTS, "--agent", "plan-fix", "--planner", "agent", "--plan-only")
        # The agent answers a valid plan only once its prompt says the first "did not validate".
        assert code == 0 and fixed["title"] == "Greetings, planned" and fixed["planner"] == "agent"

        fallen, code = setup.start_json(REQUIREMENTS, "--agent", "plan-never", "--planner", "agent", "--plan-only")
        assert code == 0 and fallen["planner"] == "outline" and len(fallen["components"]) == 2, fallen
        assert any("planned from the outline instead" in n for n in fallen["notes"])
    finally:
        setup.daemon.stop()


def test_an_item_past_its_deadline_escalates_and_its_agent_is_stopped(home: Path) -> None:
    agent = agent_table("hang", "hang", idle_timeout_seconds=600, timeout_seconds=3600)
    setup = set_up(home, config(agent, start_flow="stall_after_seconds = 1\n"))
    try:
        flow, code = setup.start_json(ONE_COMPONENT, "--agent", "hang", "--wait")
        assert code == 1 and flow["state"] == "escalated"
        research = flow["items"][0]
        assert research["state"] == "escalated" and "stall_after_seconds" in research["error"]
        wait_for(lambda: not setup.agents(f"cx-{flow['id']}-"), 30, "the stalled agent to be stopped")
        assert any("stall_after_seconds" in e["reason"] for e in setup.events("work.escalated"))
    finally:
        setup.daemon.stop()

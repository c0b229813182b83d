"""The Start Flow as a whole, with a real daemon and scripted agents: agents work in parallel only up to
`[agents] max_concurrent` and each agent's own bulkhead; and the final validation of everything merged
(the tests and every acceptance command on the default branch) files an integration item when it fails."""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers import wait_for
from tests.integration.start_flow_helpers import REQUIREMENTS, agent_table, config, git, set_up

CLASH = """\
# Greetings
Two parts that each pass alone and not together.

## Greeter
WRITE greet.txt: hello
Accept: `grep -q hello greet.txt && test ! -e off.txt`

## Switch
WRITE off.txt: off
"""


def test_agents_run_within_the_global_limit_and_their_own_bulkhead(home: Path) -> None:
    hold = home / "hold"
    os.mkfifo(hold)
    valve = os.open(hold, os.O_RDWR | os.O_NONBLOCK)  # each byte written lets one held agent go on
    held = {"env": {"HOLD_FILE": str(hold)}}
    agents = agent_table("one", "good", "--hold-byte", max_concurrent=1, **held) + agent_table(
        "two", "good", "--hold-byte", max_concurrent=2, **held
    )
    setup = set_up(home, config(agents, max_concurrent=2))
    try:
        # Its own bulkhead: two research items are ready at once, and agent `one` takes one at a time.
        first = setup.start_flow(REQUIREMENTS, "--agent", "one")
        wait_for(lambda: len(setup.agents(f"cx-{first}-")) == 1, 30, "one agent at work")
        wait_for(lambda: any(i["waiting_for"] == "an agent slot" for i in setup.work(first)["items"]), 30,
                 "the other research waiting for a slot")  # fmt: skip
        # The global limit (2): agent `two` may take two, but only one slot is left.
        second = setup.start_flow(REQUIREMENTS, "--agent", "two", name="b.md")
        wait_for(lambda: len(setup.agents(f"cx-{second}-")) == 1, 30, "the second flow's agent")
        wait_for(lambda: sum(i["waiting_for"] == "an agent slot" for i in setup.work(second)["items"]) == 1, 30,
                 "its other research waiting for a slot")  # fmt: skip
        assert len(setup.agents("cx-")) == 2
        os.write(valve, b"x" * 8)  # every attempt of both flows (four items each) may go on now
        wait_for(lambda: all(setup.work(f)["state"] == "completed" for f in (first, second)), 120, "both flows")
        for flow in (first, second):
            assert all(i["attempt"] == 1 for i in setup.work(flow)["items"])
    finally:
        os.close(valve)
        setup.daemon.stop()


def test_a_failed_final_validation_files_an_integration_item(home: Path) -> None:
    hold = home / "hold"
    greeter, switch = Path(f"{hold}.LOCAL-3"), Path(f"{hold}.LOCAL-5")  # the two implementations' issues
    os.mkfifo(greeter)
    os.mkfifo(switch)
    agent = agent_table("held", "good", "--hold-issue", env={"HOLD_FILE": str(hold)})
    setup = set_up(home, config(agent, max_attempts=1))
    try:
        flow = setup.start_flow(CLASH, "--agent", "held")

        def item(n: int) -> dict[str, str]:
            found: dict[str, str] = setup.work(flow)["items"][n]
            return found

        # The Greeter merges first, then the Switch (each passing its own gates) breaks the Greeter's
        # acceptance: only the final validation of the whole can see it.
        wait_for(lambda: item(1)["issue"] == "LOCAL-3" and item(3)["issue"] == "LOCAL-5", 30, "the issues filed")
        greeter.write_text("go")  # opened by its agent: returns once the agent reads it
        wait_for(lambda: item(1)["state"] == "merged", 30, "the Greeter merged")
        switch.write_text("go")
        wait_for(lambda: item(3)["state"] == "merged", 30, "the Switch merged")
        wait_for(lambda: setup.work(flow)["state"] == "escalated", 60, "the flow to need a person")
        done = setup.work(flow)
        final = {g["name"]: g["passed"] for g in done["final_gates"]}
        assert final["accept: grep -q hello greet.txt && test ! -e off.txt"] is False and final["tests"] is True
        integration = next(i for i in done["items"] if i["kind"] == "integration")
        assert integration["issue"] and integration["state"] == "escalated"
        prompt = setup.attempt_file(f"cx-{flow}-{integration['id']}-1", "prompt.md").read_text()
        told = prompt.split("## What failed in the previous attempt (fix this)", 1)[1]
        assert "accept: grep -q hello greet.txt && test ! -e off.txt" in told  # the agent is told what failed
        assert git(setup.repo, "show", "main:greet.txt") == "hello\n" and git(setup.repo, "show", "main:off.txt")
    finally:
        setup.daemon.stop()

"""The Start Flow across SIGKILLs of the daemon: an agent at work when the daemon dies is adopted by the
next one and followed to its end (not run twice); and scripts/crash_start_flow.py, killing the daemon at
random while flows plan, file, run agents, validate and merge, finds nothing repeated or lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import wait_for
from tests.integration.start_flow_helpers import ONE_COMPONENT, agent_table, config, git, set_up

SCRIPT = Path(__file__).parents[2] / "scripts" / "crash_start_flow.py"


def test_an_agent_at_work_is_adopted_by_the_next_daemon_after_a_kill(home: Path) -> None:
    hold = home / "hold"
    os.mkfifo(hold)
    setup = set_up(home, config(agent_table("slow", "slow", env={"HOLD_FILE": str(hold)})))
    try:
        flow = setup.start_flow(ONE_COMPONENT, "--agent", "slow")
        marker = f"cx-{flow}-1-1"
        wait_for(lambda: setup.work(flow)["items"][0]["state"] == "researching", 30, "the research to start")
        wait_for(lambda: bool(setup.agents(marker)), 30, "the agent's process")
        agent_pid = setup.agents(marker)[0].pid

        setup.daemon.kill()
        assert [p.pid for p in setup.agents(marker)] == [agent_pid]  # the agent outlives the daemon
        setup.daemon.start()
        wait_for(lambda: "adopted the agent of item 1 (attempt 1)" in setup.daemon.log(), 30, "the adoption")

        hold.write_text("go")  # the adopted agent finishes its research
        wait_for(lambda: setup.work(flow)["state"] == "completed", 90, "the flow to complete")
        done = setup.work(flow)
        assert [(i["state"], i["attempt"]) for i in done["items"]] == [("done", 1), ("merged", 1)]
        log = setup.attempt_file(marker, "log").read_text()
        assert log.count("agent slow:") == 1  # one run of the research, not a second after the restart
        findings = [c for c in setup.comments(done["items"][0]["issue"]) if "Findings for" in c]
        assert len(findings) == 1
        assert len(setup.pull_requests()) == 1
        assert git(setup.repo, "show", "main:greet.txt") == "hello\n"
        assert not setup.agents(f"cx-{flow}-")
    finally:
        setup.daemon.stop()


def test_random_kills_during_start_flows_repeat_and_lose_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--flows", "3", "--kills", "8", "--seed", "5", "--timeout", "240"],
        capture_output=True, text=True, timeout=400,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    report = dict(line.strip().split("  ", 1) for line in result.stdout.splitlines()[1:] if "  " in line.strip())
    assert report["result"].strip() == "PASS"
    assert "'completed': 3" in report["flows by state"]
    assert report["merge commits on main"].split()[0] == "6"
    for figure in ("duplicate main issues", "duplicate sub-issues", "duplicate comments", "duplicate pull requests",
                   "agent processes left", "worktrees left", "gaps in event seq"):  # fmt: skip
        assert report[figure].split()[0] == "0", (figure, result.stdout)

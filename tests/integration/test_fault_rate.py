"""GitHub failing 30% of requests (500s, bad gateways, secondary rate limits, cut-off bodies) while a real
daemon polls it and runs github_automation flows: every run ends COMPLETED, or FAILED with a classified
error; the daemon never crashes; no effect happens twice; the event log has no gaps."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from contexten.daemon.platform.failures import FailureClass
from tests.conftest import FAST_CONFIG
from tests.fakes.github_server import FakeGitHub, add_hello_world
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

RUNS = 8
CLASSES = {c.value for c in FailureClass} - {FailureClass.INTERNAL_BUG.value}


def test_a_thirty_percent_fault_rate_loses_and_duplicates_nothing(home: Path) -> None:
    fake = FakeGitHub([], fault_rate=0.3, seed=7)
    recorded = add_hello_world(fake)
    fake.add("GET", f"{recorded['base']}/pulls/2/reviews?per_page=100", 200,
             [{"user": {"login": "a"}, "state": "APPROVED"}])  # fmt: skip
    with fake.running():
        config = FAST_CONFIG + (
            f'\n[github]\napi_url = "{fake.url}"\npoll_interval_seconds = 1\nmax_poll_interval_seconds = 2\n'
            "timeout_seconds = 2\nmax_concurrent_runs = 4\n"
            "[breakers]\nminimum_calls = 1000\n"  # let every request meet the faults, not a fast-failing breaker
        )
        daemon = DaemonProcess(home, config, env={"GITHUB_TOKEN": "ghp_fault_test"}).start()
        try:
            cli_json(home, "pin", "Codertocat/Hello-World")
            ids = []
            for n in range(RUNS):
                merge = "true" if n % 2 == 0 else "false"
                params = ["--param", "number=2", "--param", f"comment=automation pass {n}",
                          "--param", 'labels=["Foo", "bAr", "baZ"]', "--param", f"merge={merge}"]  # fmt: skip
                ids.append(cli_json(home, "run", "github_automation", "--project", "hello-world", *params)["id"])

            def finished() -> bool:
                return all(cli_json(home, "show", str(i))["state"] in ("COMPLETED", "FAILED") for i in ids)

            wait_for(finished, 240, "every run to finish")
            runs = {i: cli_json(home, "show", str(i)) for i in ids}
            outcomes = Counter(runs[i]["state"] for i in ids)
            for i in ids:
                if runs[i]["state"] == "FAILED":
                    detail = cli_json(home, "show", str(i))
                    classes = [s["failure"] for s in detail["steps"] if s["state"] == "FAILED"]
                    assert classes and set(classes) <= CLASSES, (i, classes, detail["error"])
            assert outcomes["COMPLETED"] >= 1, outcomes  # retries get runs through
            print(f"outcomes at a 30% fault rate: {dict(outcomes)}; {len(fake.requests)} requests")

            _check_effects_happened_once(fake, ids, runs)
            _check_the_daemon_kept_its_log_and_stayed_up(home, daemon)
        finally:
            daemon.stop()


def _check_effects_happened_once(fake: FakeGitHub, ids: list[int], runs: dict[int, Any]) -> None:
    comments = Counter(
        re.search(rb"contexten (run-\d+)/", c["body"]).group(1)  # type: ignore[union-attr]
        for c in fake.applied if c["path"].endswith("/issues/2/comments")
    )  # fmt: skip
    assert all(count == 1 for count in comments.values()), comments
    merges = [a for a in fake.applied if a["path"].endswith("/pulls/2/merge")]
    merged_runs = [i for n, i in enumerate(ids) if n % 2 == 0 and runs[i]["state"] == "COMPLETED"]
    assert len(merges) == len(merged_runs), "each completed merging run merged exactly once"
    completed = {f"run-{i}".encode() for i in ids if runs[i]["state"] == "COMPLETED"}
    assert completed <= set(comments), "every completed run commented exactly once"


def _check_the_daemon_kept_its_log_and_stayed_up(home: Path, daemon: DaemonProcess) -> None:
    events = [json.loads(x) for x in cli(home, "events", "--json").stdout.splitlines()]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "no gaps in the event log"
    assert "connector.error" in {e["kind"] for e in events}, "the poller met faults and said so"
    assert cli(home, "status").returncode == 0 and daemon.proc is not None and daemon.proc.poll() is None
    assert "Traceback" not in daemon.log()

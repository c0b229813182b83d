"""`contexten stats` in a real daemon (issue 16): after real runs (some completing, one failing, one step
retried), the figures per flow and per project are the runs the daemon stored, the failing step's class is
counted, a bad window is refused by name, and performance_monitoring reports without a regression on
fresh history (there is no window before to compare with)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, step_results


def test_stats_count_what_ran(home: Path, git_repo: Path) -> None:
    daemon = DaemonProcess(home, FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH)).start()
    try:
        assert cli(home, "pin", str(git_repo)).returncode == 0
        quick = ["--param", "steps=2", "--param", "step_ms=0"]
        for _ in range(3):
            assert cli(home, "run", "synthetic", "--project", "repo", *quick, "--wait").returncode == 0
        assert cli(home, "run", "synthetic", *quick, "--param", "flaky_at=1", "--wait").returncode == 0
        assert cli(home, "run", "synthetic", "--project", "repo", *quick, "--param", "fail_at=0",
                   "--wait").returncode == 1  # fmt: skip
        view = cli_json(home, "stats", "--window", "1h")
        (synthetic,) = [g for g in view["flows"] if g["key"] == "synthetic"]
        assert (synthetic["runs"], synthetic["finished"], synthetic["completed"], synthetic["failed"]) == (5, 5, 4, 1)
        assert synthetic["success_rate"] == 0.8 and synthetic["p95_seconds"] >= synthetic["p50_seconds"] >= 0
        projects = {g["key"]: g["runs"] for g in view["projects"]}
        assert projects == {"repo": 4, "": 1}
        assert sum(d["runs"] for d in view["days"]) == 5
        retried = [s for s in view["steps"] if s["flow"] == "synthetic" and s["retried"]]
        assert [s["retried"] for s in retried] == [1]  # the flaky step's second attempt, and only that
        assert sum(view["failures"].values()) >= 1
        only = cli_json(home, "stats", "repo", "--window", "1h")
        assert [(g["key"], g["runs"]) for g in only["flows"]] == [("synthetic", 4)]
        text = cli(home, "stats", "--window", "1h").stdout
        assert "synthetic" in text and "80%" in text
        bad = cli(home, "stats", "--window", "soon")
        assert bad.returncode == 2 and "window 'soon' is not a duration" in bad.stdout
        run = cli_json(home, "run", "performance_monitoring", "--param", "window_seconds=3600", "--wait")
        assert run["state"] == "COMPLETED"
        measured = step_results(home, run["id"])["measure"]
        assert measured["regressions"] == [] and measured["runs"] >= 5
        run = cli_json(home, "run", "predictive_maintenance", "--wait")  # minutes of samples: nothing to say
        assert run["state"] == "COMPLETED"
        predicted = step_results(home, run["id"])["predict"]
        assert predicted["findings"] == [] and predicted["flows"] >= 1
    finally:
        daemon.stop()

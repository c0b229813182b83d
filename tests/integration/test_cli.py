"""The CLI against a real daemon: exit codes, --json documents, errors that name the problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import CALM_HEALTH, FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, env_for, wait_for


def test_health_check_completes_and_reports_its_steps(home: Path, git_repo: Path) -> None:
    daemon = DaemonProcess(home, FAST_CONFIG.replace("[health]", "[health]" + CALM_HEALTH)).start()
    try:
        _health_check_reports_its_steps(daemon, git_repo)
    finally:
        daemon.stop()


def _health_check_reports_its_steps(daemon: DaemonProcess, git_repo: Path) -> None:
    project = cli_json(daemon.home, "pin", str(git_repo))
    result = cli(daemon.home, "run", "health_check", "--project", project["id"], "--wait", "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    run = json.loads(result.stdout.strip().splitlines()[-1])
    assert run["flow"] == "health_check" and run["state"] == "COMPLETED"
    assert [s["name"] for s in run["steps"]] == ["system_metrics", "store_integrity", "bus_lag", "connectors"]
    for step in run["steps"]:
        assert step["state"] == "COMPLETED"
        assert step["started_at"] <= step["ended_at"]
    status = cli_json(daemon.home, "status")
    assert status["projects"][0]["health"] == "ok"
    assert status["runs_by_state"] == {"COMPLETED": 1}


def test_wait_exit_codes_follow_the_run(daemon: DaemonProcess) -> None:
    ok = cli(daemon.home, "run", "synthetic", "--param", "steps=2", "--param", "step_ms=10", "--wait")
    failed = cli(daemon.home, "run", "synthetic", "--param", "steps=3", "--param", "step_ms=10",
                 "--param", "fail_at=1", "--wait", "--json")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert failed.returncode == 1, failed.stderr
    run = json.loads(failed.stdout.strip().splitlines()[-1])
    assert [s["state"] for s in run["steps"]] == ["COMPLETED", "FAILED", "SKIPPED"]
    assert "fail_at=1" in run["steps"][1]["error"]


def test_unreachable_daemon_exits_4_with_a_clear_message_and_usage_errors_exit_2(home: Path) -> None:
    result = cli(home, "run", "synthetic", "--wait")
    assert result.returncode == 4
    assert "no daemon is listening" in result.stderr and "contexten up" in result.stderr
    for args in (("status", "--json"), ("--json", "status")):  # --json before the command counts too
        as_json = cli(home, *args)
        assert as_json.returncode == 4, args
        assert json.loads(as_json.stdout)["error"]["type"] == "DaemonUnreachable"
    usage = cli(home, "run")
    assert usage.returncode == 2 and "the following arguments are required: FLOW" in usage.stderr


def test_bad_flow_and_bad_params_are_refused_by_name(daemon: DaemonProcess) -> None:
    unknown = cli(daemon.home, "run", "nope")
    assert unknown.returncode == 1 and "unknown flow 'nope'" in unknown.stderr and "synthetic" in unknown.stderr
    bad = cli(daemon.home, "run", "synthetic", "--param", "steps=many")
    assert bad.returncode == 1 and "steps:" in bad.stderr
    extra = cli(daemon.home, "run", "synthetic", "--param", "colour=blue")
    assert extra.returncode == 1 and "colour" in extra.stderr
    malformed = cli(daemon.home, "run", "synthetic", "--param", "steps")
    assert malformed.returncode == 1 and "KEY=VALUE" in malformed.stderr
    assert cli_json(daemon.home, "status")["runs_by_state"] == {}


def test_show_events_and_pin_unpin(daemon: DaemonProcess, git_repo: Path) -> None:
    run_id = int(cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0").stdout)
    cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--wait")
    shown = cli_json(daemon.home, "show", str(run_id))
    assert shown["id"] == run_id and shown["steps"][0]["attempts"] == 1
    human = cli(daemon.home, "show", str(run_id)).stdout
    assert f"run {run_id}  synthetic" in human and "step-1" in human

    lines = cli(daemon.home, "events", "--json", "--run", str(run_id)).stdout.splitlines()
    events = [json.loads(line) for line in lines]
    assert events and all({"seq", "ts", "kind", "run", "data"} <= e.keys() for e in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert {e["run"] for e in events} == {run_id}
    since = events[2]["seq"]
    later = [json.loads(x) for x in cli(daemon.home, "events", "--json", "--since", str(since)).stdout.splitlines()]
    assert later[0]["seq"] == since + 1

    project = cli_json(daemon.home, "pin", str(git_repo))
    again = cli(daemon.home, "pin", str(git_repo / "."))
    assert again.returncode == 1 and "already pinned" in again.stderr
    github = cli_json(daemon.home, "pin", "octo-org/hello-world")
    assert (github["kind"], github["id"]) == ("github", "hello-world")
    nonsense = cli(daemon.home, "pin", "not a repo")
    assert nonsense.returncode == 1 and "OWNER/REPO" in nonsense.stderr
    not_git = cli(daemon.home, "pin", str(daemon.home / "state"))
    assert not_git.returncode == 1 and "not inside a git repository" in not_git.stderr
    assert cli_json(daemon.home, "unpin", project["id"])["id"] == project["id"]
    assert [p["id"] for p in cli_json(daemon.home, "status")["projects"]] == ["hello-world"]
    missing = cli(daemon.home, "show", "999")
    assert missing.returncode == 1 and "no run 999" in missing.stderr


def test_cancel_a_running_run(daemon: DaemonProcess) -> None:
    run_id = cli(daemon.home, "run", "synthetic", "--param", "steps=3", "--param", "step_ms=20000").stdout.strip()
    assert cli(daemon.home, "cancel", run_id).returncode == 0
    final = cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--wait")
    assert final.returncode == 0
    run = cli_json(daemon.home, "show", run_id)
    assert run["state"] == "CANCELLED"
    assert [s["state"] for s in run["steps"]] == ["CANCELLED", "SKIPPED", "SKIPPED"]
    again = cli(daemon.home, "cancel", run_id)
    assert again.returncode == 1 and "already ended" in again.stderr


def test_flows_lists_parameter_schemas(daemon: DaemonProcess) -> None:
    flows = {f["name"]: f for f in cli_json(daemon.home, "flows")}
    assert {"health_check", "synthetic"} <= flows.keys()
    assert {"steps", "step_ms", "fail_at", "flaky_at"} <= set(flows["synthetic"]["params_schema"]["properties"])


def test_templates_start_from_named_parameters_and_params_override_them(home: Path) -> None:
    config = (
        '[[templates]]\nname = "tiny"\nflow = "synthetic"\ndescription = "one step"\n'
        "params = { steps = 1, step_ms = 0 }\n"
    )
    daemon = DaemonProcess(home, config).start()
    try:
        flows = {f["name"]: f for f in cli_json(home, "flows")}
        names = {t["name"]: t for t in flows["synthetic"]["templates"]}
        assert {"quick", "failing", "flaky", "tiny"} <= names.keys() and names["tiny"]["source"] == "config"
        run = json.loads(
            cli(home, "run", "synthetic", "--template", "tiny", "--wait", "--json").stdout.splitlines()[-1]
        )
        assert run["params"]["steps"] == 1 and run["state"] == "COMPLETED"
        over = cli_json(home, "run", "synthetic", "--template", "tiny", "--param", "steps=2")
        assert (over["params"]["steps"], over["params"]["step_ms"]) == (2, 0)
        unknown = cli(home, "run", "synthetic", "--template", "nope")
        assert (
            unknown.returncode == 1
            and "has no template 'nope'; it has: failing, flaky, quick, slow, tiny" in unknown.stderr
        )
    finally:
        daemon.stop()


def test_a_retried_step_has_its_own_times_and_messages_name_steps_one_way(daemon: DaemonProcess) -> None:
    hold = daemon.home / "release"
    # Four in-process attempts fail (flaky_times=4 = the synthetic retry policy's max): the run fails.
    params = ["--param", "steps=1", "--param", "step_ms=0", "--param", "flaky_at=0", "--param", "flaky_times=4",
              "--param", f"hold_file={hold}", "--param", "hold_at=0"]  # fmt: skip
    failed = cli(daemon.home, "run", "synthetic", *params, "--wait")
    assert failed.returncode == 1
    assert "  step-1: RETRYING  TransientFailure: step-1 attempt 1 failed transiently" in failed.stdout
    run_id = failed.stdout.split()[1]  # "run 3 started: synthetic"
    for_good = cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "fail_at=0", "--wait", "--json")
    assert json.loads(for_good.stdout)["error"] == "step-1 failed: SyntheticFailure: step-1 failed as asked (fail_at=0)"
    assert cli(daemon.home, "retry", run_id).returncode == 0
    # The fifth attempt passes the flaky check and holds: running, with no end yet (not the last attempt's).
    wait_for(lambda: cli_json(daemon.home, "show", run_id)["steps"][0]["progress"] == 1.0, 30, "the held step")
    step = cli_json(daemon.home, "show", run_id)["steps"][0]
    assert step["state"] == "RUNNING" and step["ended_at"] is None and step["attempts"] == 5
    row = next(line for line in cli(daemon.home, "show", run_id).stdout.splitlines() if "step-1" in line)
    assert row.split()[0] == "1" and "-" not in row.split()[-1], row  # numbered from 1, like its name
    hold.write_text("")
    wait_for(lambda: cli_json(daemon.home, "show", run_id)["state"] == "COMPLETED", 30, "the run to complete")
    done = cli_json(daemon.home, "show", run_id)["steps"][0]
    assert done["ended_at"] >= done["started_at"]


def test_events_filter_keeps_only_what_matches(daemon: DaemonProcess) -> None:
    ok = cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--wait", "--json")
    bad = cli(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "fail_at=0", "--wait", "--json")
    failed_run = json.loads(bad.stdout)["id"]
    assert json.loads(ok.stdout)["state"] == "COMPLETED"
    lines = cli(daemon.home, "events", "--json", "--filter", "kind:run.state FAILED").stdout.splitlines()
    events = [json.loads(x) for x in lines]
    assert [(e["kind"], e["run"], e["data"]["state"]) for e in events] == [("run.state", failed_run, "FAILED")]
    everything = cli(daemon.home, "events", "--json").stdout.splitlines()
    assert len(everything) > len(events)


def test_status_prints_the_pinned_projects_without_loading_asyncio_or_any_model(
    daemon: DaemonProcess, git_repo: Path
) -> None:
    project = cli_json(daemon.home, "pin", str(git_repo))
    text = cli(daemon.home, "status")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("contexten ") and "pid " in lines[0]
    assert lines[2] == "projects:"
    assert lines[3].split() == [project["id"], "local", project["health"], str(git_repo)]
    # What keeps `contexten status` under 150 ms (bench/cli_startup.py): the blocking lane client only.
    probe = (
        "import sys; from contexten.cli.main import main; code = main(['status']); "
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'asyncio', 'pydantic', 'textual', 'httpx'}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], env=env_for(daemon.home), capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert loaded.stdout.splitlines()[-1] == "0 []", loaded.stderr

"""Schedules and triggers: firing times, matching, placeholders, validation against the flows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from contexten.common.errors import ConfigError
from contexten.daemon.flows import builtin_flows
from contexten.daemon.platform.config import ScheduleSection, TriggerSection, parse_config
from contexten.daemon.platform.eventlog import Published
from contexten.daemon.slices.runs.scheduler import check_against_flows, next_fire
from contexten.daemon.slices.runs.triggers import fill, matches

BERLIN = ZoneInfo("Europe/Berlin")


def test_interval_schedules_fire_one_interval_later() -> None:
    assert next_fire(ScheduleSection(flow="f", every_seconds=90), 1000.0) == 1090.0


def test_cron_schedules_fire_at_the_named_local_time() -> None:
    after = datetime(2026, 11, 21, 2, 59, tzinfo=BERLIN).timestamp()
    fired = next_fire(ScheduleSection(flow="f", cron="0 3 * * *", timezone="Europe/Berlin"), after)
    assert datetime.fromtimestamp(fired, BERLIN) == datetime(2026, 11, 21, 3, 0, tzinfo=BERLIN)
    again = next_fire(ScheduleSection(flow="f", cron="0 3 * * *", timezone="Europe/Berlin"), fired)
    assert again - fired == 24 * 3600


EVENT = Published(seq=9, kind="run.state", run=4, project="api", data={"state": "FAILED", "error": "boom"})


def test_triggers_match_on_data_run_project_and_flow() -> None:
    trigger = TriggerSection(on="run.state", match={"state": "FAILED", "flow": "synthetic"}, flow="error_healing")
    assert matches(trigger, EVENT, "synthetic")
    assert not matches(trigger, EVENT, "health_check")
    assert not matches(trigger.model_copy(update={"on": "step.state"}), EVENT, "synthetic")
    assert not matches(trigger.model_copy(update={"enabled": False}), EVENT, "synthetic")
    assert matches(TriggerSection(on="run.state", match={"run": 4, "project": "api"}, flow="x"), EVENT, None)


def test_placeholders_keep_the_events_values() -> None:
    assert fill("{run}", EVENT) == 4
    assert fill("{project}", EVENT) == "api"
    assert fill("{data.error}", EVENT) == "boom"
    assert fill("{data.missing}", EVENT) is None
    assert fill("literal {run} text", EVENT) == "literal {run} text"
    assert fill(3, EVENT) == 3
    opened = Published(seq=10, kind="pr.opened", run=None, project="api", data={"pull_request": {"number": 7}})
    assert fill("{data.pull_request.number}", opened) == 7  # into nested data, keeping the type
    assert fill("{data.pull_request.missing.deeper}", opened) is None and fill("{data.}", opened) == "{data.}"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[[schedules]]\nflow = "nope"\nevery_seconds = 5\n', "schedules[0].flow", "unknown flow 'nope'"),
        (
            '[[schedules]]\nflow = "synthetic"\nevery_seconds = 5\nparams = { steps = "many" }\n',
            "schedules[0].params",
            "steps:",
        ),
        ('[[triggers]]\non = "run.state"\nflow = "nope"\n', "triggers[0].flow", "known: backup_operations"),
    ],
)
def test_entries_naming_unknown_flows_or_bad_params_are_refused(text: str, key: str, words: str) -> None:
    config = parse_config(text, "c.toml")
    with pytest.raises(ConfigError) as info:
        check_against_flows(config, builtin_flows(), "c.toml")
    assert info.value.key == key and words in str(info.value)


def test_trigger_placeholders_are_not_checked_as_parameters() -> None:
    config = parse_config('[[triggers]]\non = "run.state"\nflow = "error_healing"\nparams = { run = "{run}" }\n', "c")
    check_against_flows(config, builtin_flows(), "c")

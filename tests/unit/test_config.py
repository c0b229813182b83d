from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config import Config, changed_keys, load_config, parse_config

EXAMPLE = Path(__file__).parents[2] / "config" / "contexten.example.toml"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[daemon]\nmax_concurrent_workflows = 0\n", "daemon.max_concurrent_workflows", "greater than or equal to 1"),
        ("[daemon]\nmax_concurrent_workflows = 'four'\n", "daemon.max_concurrent_workflows", "'four'"),
        ("[daemon]\nlog_level = 'loud'\n", "daemon.log_level", "'debug', 'info', 'warning' or 'error'"),
        ("[daemon]\ncolour = 'blue'\n", "daemon.colour", "unknown key"),
        ("[nonsense]\na = 1\n", "nonsense", "unknown key"),
        ("[health]\ncpu_alert_percent = 150\n", "health.cpu_alert_percent", "less than or equal to 100"),
        ("[github]\napi_url = 'not a url'\n", "github.api_url", "URL"),
        ("[linear]\npoll_interval_seconds = 0.5\n", "linear.poll_interval_seconds", "greater than or equal to 1"),
        (
            "[projects.api.github]\npoll_interval_seconds = 0\n",
            "projects.api.github.poll_interval_seconds",
            "greater than or equal to 1",
        ),
        ("[sync.state_map.ENG]\nmerge = 'Done'\n", "sync.state_map.ENG.merge", "unknown key"),
        ("[github]\nbudget_share = 1.5\n", "github.budget_share", "less than or equal to 1"),
    ],
)
def test_each_config_error_names_the_file_and_the_key(text: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "/etc/contexten/config.toml")
    message = str(info.value)
    assert info.value.key == key
    assert message.startswith(f"/etc/contexten/config.toml: {key}: ")
    assert words in message


def test_toml_syntax_errors_name_the_file_and_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("[daemon\n", "/x/config.toml")
    assert str(info.value).startswith("/x/config.toml: not valid TOML")
    assert "line 1" in str(info.value)


def test_several_problems_are_counted() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("[daemon]\nmax_concurrent_workflows = 0\nheartbeat_seconds = -1\n", "c.toml")
    assert "and 1 more problem" in str(info.value)


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "absent.toml") == Config()


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)


def _keys(model: type[BaseModel], prefix: str = "", within: tuple[type[BaseModel], ...] = ()) -> set[str]:
    keys: set[str] = set()
    for field_name, field in model.model_fields.items():
        name = field.alias or field_name  # `continue` is `continue_` in Python
        annotation: Any = field.annotation
        inner = [a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type)]
        sub = next((a for a in inner if issubclass(a, BaseModel)), None)
        # A section that holds itself (a route's child routes) is documented once, as its key.
        if sub is not None and name not in _FREE_FORM and sub not in (*within, model):
            keys |= _keys(sub, f"{prefix}{name}.", (*within, model))
        else:
            keys.add(prefix + name)
    return keys


def _doc_keys(doc: dict[str, Any], prefix: str = "", model: type[BaseModel] | None = Config) -> set[str]:
    out: set[str] = set()
    for key, value in doc.items():
        field = model.model_fields.get(key) if model is not None else None
        if prefix.endswith("routes.") and key == "routes":
            out.add(prefix + key)  # a route's child routes: the same keys as the route's, documented there
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:  # an array of tables: each entry documents the same keys
                out |= _doc_keys(item, f"{prefix}{key}.", None)
        elif key in _KEYED and isinstance(value, dict):  # not a step's list of receiver names
            for item in value.values():
                out |= _doc_keys(item, f"{prefix}{key}.", None)
        elif isinstance(value, dict) and not ((field and field.annotation in (dict[str, Any],)) or key in _FREE_FORM):
            out |= _doc_keys(value, f"{prefix}{key}.", None)
        else:
            out.add(prefix + key)
    return out


_FREE_FORM = {"params", "match", "env", "labels"}  # tables whose keys are the user's own, not config keys
_KEYED = {
    "projects",
    "state_map",
    "by_name",
    "receivers",
    "mute_intervals",
}  # tables of sections keyed by the user's names (project ids, team keys)


def test_the_example_config_documents_every_key_and_is_valid() -> None:
    text = EXAMPLE.read_text()
    parse_config(text, str(EXAMPLE))
    doc = tomllib.loads(text)
    # `[agents.NAME]` tables are the agents' own names: they document the keys of `agents.by_name`.
    agents = doc.pop("agents")
    named = {k: v for k, v in agents.items() if isinstance(v, dict)}
    doc["agents"] = {**{k: v for k, v in agents.items() if k not in named}, "by_name": named}
    assert _doc_keys(doc) == _keys(Config)


def test_the_example_values_are_the_defaults() -> None:
    example = parse_config(EXAMPLE.read_text(), str(EXAMPLE))
    defaults = Config()
    assert example.daemon == defaults.daemon
    assert example.health == defaults.health


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ('[[schedules]]\nflow = "x"\ncron = "61 * * * *"\n', "schedules[0].cron", "does not parse: Bad minute"),
        ('[[schedules]]\nflow = "x"\n', "schedules[0]", "exactly one of every_seconds and cron"),
        ('[[schedules]]\nflow = "x"\nevery_seconds = 5\ncron = "* * * * *"\n', "schedules[0]", "exactly one"),
        (
            '[[schedules]]\nflow = "x"\nevery_seconds = 5\ntimezone = "Mars/Base"\n',
            "schedules[0].timezone",
            "unknown time zone 'Mars/Base'",
        ),
        ('[[triggers]]\non = "run.state"\n', "triggers[0].flow", "Field required"),
    ],
)
def test_schedule_and_trigger_errors_name_the_entry(text: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.toml")
    assert info.value.key == key and words in str(info.value)


def test_a_linear_tracker_needs_the_linear_section() -> None:
    with pytest.raises(ConfigError, match=r"tracker.kind = 'linear' needs a \[linear\] section"):
        parse_config('[tracker]\nkind = "linear"\n', "c.toml")


def test_project_overrides_fall_back_to_the_connector_sections() -> None:
    config = parse_config(
        '[github]\npoll_interval_seconds = 60\n[linear]\nteam = "eng"\n'
        '[projects.api]\ngithub = { poll_interval_seconds = 5 }\nlinear = { team = "ops" }\n'
        '[sync.state_map.OPS]\nmerged = "Shipped"\n', "c.toml",
    )  # fmt: skip
    assert config.github_interval("api") == (5, 600) and config.github_interval("web") == (60, 600)
    assert config.linear_team("api") == "OPS" and config.linear_team("web") == "ENG"
    assert config.state_map("ops").merged == "Shipped" and config.state_map("ENG").merged == "completed"


def test_changed_keys_names_what_changed() -> None:
    old = Config()
    new = parse_config("[daemon]\nmax_concurrent_workflows = 2\n[github]\n", "c.toml")
    assert changed_keys(old, new) == ["daemon.max_concurrent_workflows", "github"]
    assert changed_keys(old, Config()) == []

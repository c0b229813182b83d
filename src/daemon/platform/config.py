"""The daemon's configuration: a TOML file validated by pydantic.

Every error names the file, the dotted key and what is wrong, so a typo is found in one read.
`config/contexten.example.toml` documents every key; a test keeps the two in step.
"""

from __future__ import annotations

import os
import stat
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator, model_validator

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config_agents import NAMED, AgentsSection, StartFlowSection
from contexten.daemon.platform.config_notify import NotifySection
from contexten.daemon.platform.config_supply import RegistriesSection, SecuritySection

# Every duration in the config is bounded: a value of 1e-9 s would spin, one of weeks would look dead.
DAY = 86_400.0


class _Section(BaseModel):
    # inf and nan are not durations or rates (TOML can spell both).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DaemonSection(_Section):
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    shutdown_timeout_seconds: float = Field(default=10.0, ge=0.1, le=600)
    max_concurrent_workflows: int = Field(default=4, ge=1, le=256)
    max_runs_per_project: int = Field(default=2, ge=1, le=256)
    heartbeat_seconds: float = Field(default=1.0, ge=0.05, le=60)
    run_retry_budget: int = Field(default=20, ge=0, le=10_000)


class HealthSection(_Section):
    sample_interval_seconds: float = Field(default=5.0, ge=0.1, le=3600)
    cpu_alert_percent: float = Field(default=90.0, gt=0, le=100)
    memory_alert_percent: float = Field(default=90.0, gt=0, le=100)
    disk_alert_percent: float = Field(default=90.0, gt=0, le=100)
    # An alert clears only once its metric is this far under the limit: one hovering at it does not flap.
    clear_margin_percent: float = Field(default=5.0, ge=0, le=50)
    bus_lag_alert_ms: float = Field(default=250.0, gt=0, le=60_000)


class BreakersSection(_Section):
    """Defaults for every circuit breaker (one per external dependency). Applies to breakers made after an edit."""

    window: Literal["count", "time"] = "count"
    window_size: int = Field(default=20, ge=1, le=10_000)
    minimum_calls: int = Field(default=10, ge=1, le=10_000)
    failure_rate_threshold: float = Field(default=50.0, gt=0, le=100)
    slow_call_rate_threshold: float = Field(default=100.0, gt=0, le=100)
    slow_call_seconds: float = Field(default=10.0, ge=0.001, le=3600)
    wait_in_open_seconds: float = Field(default=30.0, ge=0, le=DAY)
    permitted_calls_in_half_open: int = Field(default=3, ge=1, le=1000)
    max_wait_in_half_open_seconds: float = Field(default=0.0, ge=0, le=DAY)
    # A breaker kept away from CLOSED this long raises a critical alert (0: never); closing resolves it.
    alert_after_seconds: float = Field(default=600.0, ge=0, le=DAY)


class RecoverySection(_Section):
    # The retry strategy waits this long, doubled for each attempt the run has had, plus jitter.
    retry_backoff_seconds: float = Field(default=5.0, ge=0, le=3600)
    # wait_for_reset waits for the latest breaker reopen time, or this long when no breaker is open.
    reset_wait_seconds: float = Field(default=30.0, ge=0, le=DAY)
    max_wait_seconds: float = Field(default=300.0, ge=0, le=DAY)
    # How long a recovery waits for the run it started (a retry or a rerun) to finish.
    run_timeout_seconds: float = Field(default=3600.0, ge=1, le=7 * DAY)


class TrackerSection(_Section):
    # "local": issues kept in the daemon's own store (the default, needs no account); "linear": Linear (needs
    # a [linear] section and a key); "none": no tracker.
    kind: Literal["local", "linear", "none"] = "local"


class ConnectorSection(_Section):
    api_url: HttpUrl
    poll_interval_seconds: float = Field(default=60.0, ge=1, le=86400)
    timeout_seconds: float = Field(default=10.0, ge=0.1, le=300)
    # Runs of flows that use this connector at once (a bulkhead: one busy service cannot take every slot).
    max_concurrent_runs: int = Field(default=2, ge=1, le=256)


class GitHubSection(ConnectorSection):
    api_url: HttpUrl = HttpUrl("https://api.github.com")
    # A repository that does not change is polled less and less often, down to once per this many seconds.
    max_poll_interval_seconds: float = Field(default=600.0, ge=1, le=86400)
    # The share of the hourly rate limit the pollers may spend together; the rest is left for flows.
    budget_share: float = Field(default=0.8, gt=0, le=1)


class LinearSection(ConnectorSection):
    api_url: HttpUrl = HttpUrl("https://api.linear.app/graphql")
    team: str = ""  # the default team's key (ENG); a project can name its own
    # "api_key": a personal key, sent as is; "oauth": an OAuth token, sent as Bearer.
    key_kind: Literal["api_key", "oauth"] = "api_key"


class StateMapSection(_Section):
    """Which tracker state a linked issue moves to when its pull request reaches a stage. A state's name
    ("In Review") or type ("started"); an empty string leaves the issue where it is."""

    draft: str = "started"
    opened: str = "started"
    review_requested: str = "started"
    merged: str = "completed"
    closed: str = ""


class SyncSection(_Section):
    # Keep linked issues in step with their pull requests as pull-request events arrive.
    enabled: bool = True
    # Per team key; the "default" entry applies to teams without one of their own.
    state_map: dict[str, StateMapSection] = Field(default_factory=lambda: {"default": StateMapSection()})
    # When every sub-issue is completed (or canceled, with at least one completed), complete the parent.
    auto_complete_parents: bool = True
    # An issue in a started state for longer than this escalates (alert + notification); 0 turns it off.
    stale_started_days: float = Field(default=14.0, ge=0, le=3650)
    stale_check_interval_seconds: float = Field(default=3600.0, ge=1, le=7 * DAY)


class AutomationSection(_Section):
    """What github_automation requires before it merges a pull request."""

    required_approvals: int = Field(default=1, ge=0, le=100)  # forges without reviews (local) skip this
    required_checks: list[str] = Field(default_factory=list)  # names that must pass; empty: every check


class QualityThresholds(_Section):
    """What code_quality_check fails on; 0 turns a limit off (except where 0 is the only sensible limit)."""

    max_ccn: int = Field(default=25, ge=0)  # the most complex function
    max_average_ccn: float = Field(default=5.0, ge=0)
    max_complex_functions: int = Field(default=0, ge=0)  # functions over CCN 10; 0: no limit
    max_duplicated_lines_percent: float = Field(default=10.0, ge=0, le=100)
    max_dead_code: int = Field(default=0, ge=0)  # high-confidence findings; 0: no limit
    max_cycles: int = Field(default=0, ge=0)  # 0: no limit


class AnalysisSection(_Section):
    """Code intelligence: what the analysis reads and the limits code_quality_check applies."""

    watch: bool = True  # re-analyse pinned local repositories as files change
    max_file_bytes: int = Field(default=1_000_000, ge=1024)  # larger files are skipped, with the reason
    min_duplicate_tokens: int = Field(default=50, ge=10)
    min_duplicate_lines: int = Field(default=6, ge=2)
    churn_days: int = Field(default=90, ge=1, le=3650)  # the git window hotspots count commits in
    exclude: list[str] = Field(default_factory=list)  # path globs to leave out
    debounce_seconds: float = Field(default=0.3, ge=0, le=60)  # let an editor's burst of writes settle
    thresholds: QualityThresholds = Field(default_factory=QualityThresholds)


class ProjectGitHubSection(_Section):
    poll_interval_seconds: float | None = Field(default=None, ge=1, le=86400)
    max_poll_interval_seconds: float | None = Field(default=None, ge=1, le=86400)


class ProjectLinearSection(_Section):
    team: str | None = None
    poll_interval_seconds: float | None = Field(default=None, ge=1, le=86400)


class ProjectSection(_Section):
    """Settings for one pinned project, by its id ([projects.api])."""

    test_command: list[str] = Field(default_factory=list)  # the local forge's check, run at a PR's head
    default_branch: str = ""  # when it cannot be told from the repository
    # dependency_management: run after a manifest's versions are edited, to bring the lockfile along
    # (`uv lock`, `npm install --package-lock-only`); empty: the manifests alone are edited.
    lock_command: list[str] = Field(default_factory=list)
    # A GitHub project's local clone (its `origin` is the GitHub repository): where the Start Flow's agents
    # make their branches, pushed to GitHub for a pull request that GitHub merges.
    clone: str = ""
    github: ProjectGitHubSection = Field(default_factory=ProjectGitHubSection)
    linear: ProjectLinearSection = Field(default_factory=ProjectLinearSection)


class ScheduleSection(_Section):
    """Start `flow` every `every_seconds`, or at the times a cron expression names (in `timezone`)."""

    flow: str = Field(min_length=1)
    project: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    every_seconds: float | None = Field(default=None, ge=1, le=366 * DAY)
    cron: str | None = None
    timezone: str = "UTC"
    enabled: bool = True

    @field_validator("cron")
    @classmethod
    def _cron_parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CronSim(value, datetime.now(UTC))
            except CronSimError as exc:
                raise ValueError(f"cron expression {value!r} does not parse: {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'Europe/Berlin')") from None
        return value

    @model_validator(mode="after")
    def _one_timing(self) -> ScheduleSection:
        if (self.every_seconds is None) == (self.cron is None):
            raise ValueError("give exactly one of every_seconds and cron")
        return self


class TriggerSection(_Section):
    """When an event of kind `on` matches every key of `match`, start `flow` with `params`.

    `match` keys are compared with the event's data, or with its `run`, `project` or (for run events) the
    run's `flow`. Parameter values may be "{run}", "{project}" or "{data.KEY}", filled from the event.
    """

    on: str = Field(min_length=1)
    match: dict[str, str | int | float | bool] = Field(default_factory=dict)
    flow: str = Field(min_length=1)
    project: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    cooldown_seconds: float = Field(default=60.0, ge=0, le=DAY)
    enabled: bool = True


class TemplateSection(_Section):
    """Named parameters for a flow, offered by the console and `contexten run FLOW --template NAME`."""

    name: str = Field(min_length=1, max_length=100)
    flow: str = Field(min_length=1)
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)


class Config(_Section):
    daemon: DaemonSection = Field(default_factory=DaemonSection)
    health: HealthSection = Field(default_factory=HealthSection)
    breakers: BreakersSection = Field(default_factory=BreakersSection)
    recovery: RecoverySection = Field(default_factory=RecoverySection)
    tracker: TrackerSection = Field(default_factory=TrackerSection)
    schedules: list[ScheduleSection] = Field(default_factory=list)
    triggers: list[TriggerSection] = Field(default_factory=list)
    templates: list[TemplateSection] = Field(default_factory=list)
    # A connector is "configured" when its section is present; health_check probes only those.
    github: GitHubSection | None = None
    linear: LinearSection | None = None
    sync: SyncSection = Field(default_factory=SyncSection)
    automation: AutomationSection = Field(default_factory=AutomationSection)
    analysis: AnalysisSection = Field(default_factory=AnalysisSection)
    projects: dict[str, ProjectSection] = Field(default_factory=dict)
    agents: AgentsSection = Field(default_factory=AgentsSection)
    start_flow: StartFlowSection = Field(default_factory=StartFlowSection)
    notify: NotifySection = Field(default_factory=NotifySection)
    security: SecuritySection = Field(default_factory=SecuritySection)
    registries: RegistriesSection = Field(default_factory=RegistriesSection)

    @model_validator(mode="after")
    def _tracker_configured(self) -> Config:
        if self.tracker.kind == "linear" and self.linear is None:
            raise ValueError("tracker.kind = 'linear' needs a [linear] section")
        return self

    def project(self, project_id: str) -> ProjectSection:
        return self.projects.get(project_id) or ProjectSection()

    def github_interval(self, project_id: str) -> tuple[float, float]:
        """(active, quiet) poll intervals for one GitHub project: its own, else the [github] ones."""
        own, section = self.project(project_id).github, self.github or GitHubSection()
        return (own.poll_interval_seconds or section.poll_interval_seconds,
                own.max_poll_interval_seconds or section.max_poll_interval_seconds)  # fmt: skip

    def linear_interval(self, team: str) -> float:
        """How often a Linear team is polled: the shortest interval a project on that team asks for, else
        the [linear] one."""
        own = [p.linear.poll_interval_seconds for p in self.projects.values()
               if p.linear.poll_interval_seconds and (p.linear.team or "").upper() == team.upper()]  # fmt: skip
        return min(own, default=self.linear.poll_interval_seconds if self.linear else 60.0)

    def linear_team(self, project_id: str) -> str:
        return (self.project(project_id).linear.team or (self.linear.team if self.linear else "")).upper()

    def state_map(self, team: str) -> StateMapSection:
        maps = self.sync.state_map
        return maps.get(team.upper()) or maps.get(team) or maps.get("default") or StateMapSection()


def parse_config(text: str, path: str) -> Config:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    try:
        return Config.model_validate(doc)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = _dotted(first["loc"])
        problem = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            problem = "unknown key (see config/contexten.example.toml for the keys there are)"
        elif first["type"] != "value_error" and "input" in first and not isinstance(first["input"], dict):
            problem = f"{problem} (got {first['input']!r})"
        more = len(exc.errors()) - 1
        if more:
            problem += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(path, key, problem) from None


def _dotted(loc: tuple[int | str, ...]) -> str:
    """('schedules', 0, 'cron') -> 'schedules[0].cron', as the TOML reader would point at it."""
    out = ""
    for part in loc:
        if part == NAMED:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_config(path: Path) -> Config:
    """The config at `path`, or the defaults when there is no file (nor a link to one)."""
    return load_config_and_text(path)[0]


def load_config_and_text(path: Path) -> tuple[Config, str | None]:
    """The config at `path` and the text it was parsed from (None: no file)."""
    text = read_config_text(path)
    return (Config() if text is None else parse_config(text, str(path))), text


def read_config_text(path: Path) -> str | None:
    """The file's text (a UTF-8 byte-order mark is allowed), or None when there is no file. A dangling
    link, a FIFO or a device is refused by name rather than read (a FIFO would hang start-up)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise ConfigError(str(path), "", f"is a link to {os.readlink(path)}, which does not exist") from None
        return None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(str(path), "", "is not a regular file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "", f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from None


def changed_keys(old: Config, new: Config) -> list[str]:
    """Dotted keys whose value differs, for the config.reloaded event."""
    a, b = old.model_dump(mode="json"), new.model_dump(mode="json")
    out: list[str] = []
    for section in sorted(set(a) | set(b)):
        sa, sb = a.get(section) or {}, b.get(section) or {}
        if (a.get(section) is None) != (b.get(section) is None) or isinstance(sa, list) or isinstance(sb, list):
            if sa != sb:
                out.append(section)
            continue
        out.extend(f"{section}.{k}" for k in sorted(set(sa) | set(sb)) if sa.get(k) != sb.get(k))
    return out

"""The notifications config: `[notify.receivers.NAME]` (where notices go) and `[[notify.routes]]` (which
notices go where), after Alertmanager's routing tree.

[notify.receivers.team]
kind = "slack_webhook"
url_env = "TEAM_SLACK_WEBHOOK"      # the webhook URL is a secret: it comes from the environment
[notify.receivers.ops]
kind = "slack_api"
channel = "C0123456"
token_env = "SLACK_BOT_TOKEN"       # or the systemd credential slack-token
[[notify.routes]]
receiver = "team"                   # a route without `match` takes every notice
continue = true
[[notify.routes]]
match = { severity = ["critical"], project = ["api"] }
receiver = "ops"
  [[notify.routes.routes]]          # children inherit the receiver; the first that matches wins
  match = { kind = ["run.failed"] }
[[notify.escalations]]              # a critical alert climbs until a person acknowledges it
name = "oncall"
match = { severity = ["critical"] }
steps = [{ after = "0s", receivers = ["team"] }, { after = "15m", receivers = ["ops"] }]

With no receiver and no route, warning and critical alerts reach the consoles as toasts (DEFAULT_NOTIFY).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, HttpUrl, model_validator

from contexten.common.notice_kinds import NoticeKind, Severity


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


class ReceiverSection(_Section):
    kind: Literal["slack_webhook", "slack_api", "webhook", "email", "console", "log"]
    # slack_webhook and webhook: the URL, read from this environment variable (a webhook URL is a secret).
    url_env: str = ""
    # slack_api: the channel, the bot token's variable (or the systemd credential slack-token), the endpoint.
    channel: str = ""
    token_env: str = "SLACK_BOT_TOKEN"
    api_url: HttpUrl = HttpUrl("https://slack.com/api")
    # webhook: the variable holding the HMAC-SHA256 key for the X-Contexten-Signature header ("" = unsigned).
    secret_env: str = ""
    # email: the SMTP relay (STARTTLS unless `tls = "none"`, which is refused with a username), the sender and
    # recipients, the login's variables ("" = no login), and a CA bundle for a relay with a private CA.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    tls: Literal["starttls", "none"] = "starttls"
    ca_file: str = ""
    from_: str = Field(default="", alias="from")
    to: list[str] = []
    username_env: str = ""
    password_env: str = ""
    # Slack takes about one message a second per channel; other destinations may want more room.
    min_interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    timeout_seconds: float = Field(default=10.0, ge=0.1, le=300)

    @model_validator(mode="after")
    def _complete(self) -> ReceiverSection:
        if self.kind in ("slack_webhook", "webhook") and not self.url_env:
            raise ValueError(f"a {self.kind} receiver needs `url_env` (the variable holding its URL)")
        if self.kind == "slack_api" and not self.channel:
            raise ValueError("a slack_api receiver needs `channel`")
        if self.kind == "email":
            missing = [k for k, v in (("smtp_host", self.smtp_host), ("from", self.from_), ("to", self.to)) if not v]
            if missing:
                raise ValueError(f"an email receiver needs {', '.join(f'`{k}`' for k in missing)}")
            if bool(self.username_env) != bool(self.password_env):
                raise ValueError("a login needs both `username_env` and `password_env` (or neither)")
            if self.tls == "none" and self.username_env:
                raise ValueError('tls = "none" with a login would send the password in the clear: use STARTTLS')
            for address in (self.from_, *self.to):
                if "@" not in address or any(c in address for c in "\r\n"):
                    raise ValueError(f"not an email address: {address!r}")
        return self


class MatchSection(_Section):
    """Every given key must match (any of its values); a key left out matches anything."""

    kind: list[NoticeKind] = []
    project: list[str] = []
    flow: list[str] = []
    severity: list[Severity] = []
    # A notice's labels: an alert's `source` (sampler, recovery, start_flow...), a run's `state`, a Start
    # Flow item's `item_kind`; `labels = { source = ["sampler"] }` matches any of the values given.
    labels: dict[str, list[str]] = {}


def duration(value: object) -> float:
    """'30s', '5m', '4h', '1h30m' (or a number of seconds) -> seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and _DURATION.fullmatch(value.strip()) and value.strip():
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(value))
    else:
        raise ValueError(f"a duration like '30s', '5m' or '4h' (got {value!r})")
    if not 0 <= seconds <= 7 * 86_400:
        raise ValueError(f"between 0s and 7 days (got {value!r})")
    return seconds


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")
Duration = Annotated[float, BeforeValidator(duration)]
GroupField = Literal["kind", "project", "flow", "severity"]


class RouteSection(_Section):
    match: MatchSection = Field(default_factory=MatchSection)
    receiver: str = ""  # "" inherits the parent's
    continue_: bool = Field(default=False, alias="continue")  # also try the routes after this one
    # Grouping, after Alertmanager: notices with the same values of these fields go out as one message,
    # the first after `group_wait` (to gather the rest of a burst), then at most every `group_interval`.
    # Left out, a route inherits its parent's; a route without `group_by` sends each notice on its own.
    group_by: list[GroupField] | None = None
    group_wait: Duration | None = None  # default 30s
    group_interval: Duration | None = None  # default 5m
    # The same condition (an alert raised again, a run failing again) is not told again through this
    # route before this long, while it stays open; a resolved condition raised again is news. Default 4h.
    repeat_interval: Duration | None = None
    mute: list[str] = []  # names of [notify.mute_intervals.NAME]: while one holds, this route sends nothing
    routes: list[RouteSection] = []


Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


class TimeRange(_Section):
    start: str  # "22:00"; a range whose end is before its start runs over midnight
    end: str

    @model_validator(mode="after")
    def _clock_times(self) -> TimeRange:
        for name in ("start", "end"):
            if not _CLOCK.fullmatch(getattr(self, name)):
                raise ValueError(f"{name}: a time of day like '22:00' (got {getattr(self, name)!r})")
        return self


class MuteIntervalSection(_Section):
    """When the routes that name it send nothing: on these weekdays (all, if none), in these times of day
    (all day, if none), in this time zone."""

    weekdays: list[Weekday] = []
    times: list[TimeRange] = []
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _known_zone(self) -> MuteIntervalSection:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None
        return self


class InhibitSection(_Section):
    """While an alert matching `source` is active (raised, not yet resolved), notices matching `target` with
    the same values of the `equal` fields are not sent: the cause is told, not each of its effects."""

    source: MatchSection
    target: MatchSection
    equal: list[GroupField] = []


class EscalationStep(_Section):
    after: Duration  # since the previous step (the first: since the notice opened)
    receivers: list[str] = Field(min_length=1)


class EscalationSection(_Section):
    """After PagerDuty's escalation policies: a notice that matches (the first chain whose `match` holds)
    climbs these steps, each after its delay, until a person acknowledges or resolves it or its condition
    clears; after the last step the chain starts again `repeat` times, `repeat_after` later."""

    name: str = Field(min_length=1, max_length=100)
    match: MatchSection = Field(default_factory=MatchSection)
    steps: list[EscalationStep] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=100)
    repeat_after: Duration = 1800.0


class NotifySection(_Section):
    # Whether each route names a receiver that exists is checked with the tree (slices/notify/routing.py),
    # so the error names the route's key.
    receivers: dict[str, ReceiverSection] = {}
    routes: list[RouteSection] = []
    inhibit: list[InhibitSection] = []
    mute_intervals: dict[str, MuteIntervalSection] = {}
    escalations: list[EscalationSection] = []


# With no receiver and no route configured, alerts that need a person reach every open console as a toast
# (the daemon logs them as it always has). Grouped by severity: a burst is one toast, at most every 10s.
DEFAULT_NOTIFY = NotifySection.model_validate(
    {
        "receivers": {"consoles": {"kind": "console"}},
        "routes": [
            {"match": {"kind": ["alert"], "severity": ["warning", "critical"]}, "receiver": "consoles",
             "group_by": ["severity"], "group_wait": "0s", "group_interval": "10s"},
        ],
    }
)  # fmt: skip


def with_defaults(section: NotifySection) -> NotifySection:
    """The section the notify slice works from: as written, or the default when nothing says who hears."""
    if section.receivers or section.routes:
        return section
    return section.model_copy(update={"receivers": DEFAULT_NOTIFY.receivers, "routes": DEFAULT_NOTIFY.routes})

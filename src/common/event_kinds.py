"""The event catalogue: every kind of event the daemon publishes, which slice emits it, and what it means.

`EventLog.emit` accepts only these; the console's reducer (`state.py`) knows what each one changes;
`docs/events.md` is generated from `CATALOGUE` and a test keeps the two the same.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    DAEMON_STARTED = "daemon.started"
    DAEMON_STOPPING = "daemon.stopping"
    CONFIG_RELOADED = "config.reloaded"
    CONFIG_ERROR = "config.error"
    STORE_RESTORED = "store.restored"
    STORE_REJECTED = "store.rejected"
    PROJECT_PINNED = "project.pinned"
    PROJECT_UNPINNED = "project.unpinned"
    PROJECT_HEALTH = "project.health"
    RUN_CREATED = "run.created"
    RUN_STATE = "run.state"
    STEP_STATE = "step.state"
    STEP_PROGRESS = "step.progress"
    STEP_OUTPUT = "step.output"
    SCHEDULE_FIRED = "schedule.fired"
    SCHEDULE_ERROR = "schedule.error"
    HEALTH_METRICS = "health.metrics"
    HEALTH_PROBE = "health.probe"
    ALERT = "alert"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    BREAKER_STATE = "breaker.state"
    RECOVERY_ATTEMPT = "recovery.attempt"
    CONNECTOR_BUDGET = "connector.budget"
    CONNECTOR_ERROR = "connector.error"
    PR_OPENED = "pr.opened"
    PR_UPDATED = "pr.updated"
    PR_REVIEW_REQUESTED = "pr.review_requested"
    PR_MERGED = "pr.merged"
    PR_CLOSED = "pr.closed"
    PR_COMMENT = "pr.comment"
    PR_IMPACT = "pr.impact"
    CHECK_STATE = "check.state"
    CHECK_PASSED = "check.passed"
    CHECK_FAILED = "check.failed"
    CI_RUN_FAILED = "ci.run.failed"
    CI_RUN_STATE = "ci.run.state"
    CI_FAILURE = "ci.failure"
    CI_TESTS = "ci.tests"
    SECURITY_AUDIT = "security.audit"
    SECURITY_FINDING = "security.finding"
    SECURITY_FILED = "security.filed"
    ISSUE_CREATED = "issue.created"
    ISSUE_UPDATED = "issue.updated"
    ISSUE_STATE_CHANGED = "issue.state_changed"
    ISSUE_COMMENTED = "issue.commented"
    ISSUE_PROGRESS = "issue.progress"
    ISSUE_STALE = "issue.stale"
    SYNC_DECISION = "sync.decision"
    SYNC_ERROR = "sync.error"
    EFFECT_PENDING = "effect.pending"
    EFFECT_DONE = "effect.done"
    TRIGGER_FIRED = "trigger.fired"
    TRIGGER_ERROR = "trigger.error"
    PR_LABELED = "pr.labeled"
    ANALYSIS_WATCHING = "analysis.watching"
    ANALYSIS_UPDATED = "analysis.updated"
    ANALYSIS_REPORT = "analysis.report"
    WORK_FLOW = "work.flow"
    WORK_ITEM = "work.item"
    WORK_GATE = "work.gate"
    WORK_ESCALATED = "work.escalated"
    NOTIFY_SENDING = "notify.sending"
    NOTIFY_SENT = "notify.sent"
    NOTIFY_FAILED = "notify.failed"
    NOTIFY_REQUEUED = "notify.requeued"
    NOTIFY_TOAST = "notify.toast"
    NOTIFY_DIGEST = "notify.digest"
    NOTICE_OPENED = "notice.opened"
    NOTICE_ESCALATED = "notice.escalated"
    NOTICE_ACKNOWLEDGED = "notice.acknowledged"
    NOTICE_RESOLVED = "notice.resolved"


# kind -> (the slice that emits it, what it says). Grouped by slice; docs/events.md is generated from it.
CATALOGUE: dict[EventKind, tuple[str, str]] = {
    EventKind.DAEMON_STARTED: ("daemon", "The daemon is up and serving: pid, version, instance."),
    EventKind.DAEMON_STOPPING: ("daemon", "A graceful stop began; nothing is published after the bus drains."),
    EventKind.CONFIG_RELOADED: (
        "daemon",
        "A config edit was taken live: the changed keys and the slices that took them.",
    ),
    EventKind.CONFIG_ERROR: (
        "daemon",
        "A config edit was refused; file, key and message say why. The old config stays.",
    ),
    EventKind.STORE_RESTORED: (
        "daemon",
        "The store was replaced by a staged backup at start-up; numbering continues above.",
    ),
    EventKind.STORE_REJECTED: (
        "platform",
        "The store refused the state write of an event (kept in its seq, so no gap).",
    ),
    EventKind.EFFECT_PENDING: (
        "platform",
        "A step is about to do something outside contexten, under an idempotency key.",
    ),
    EventKind.EFFECT_DONE: (
        "platform",
        "That effect happened (or was found to have happened); it is never done again.",
    ),
    EventKind.PROJECT_PINNED: ("projects", "A project was pinned: the project."),
    EventKind.PROJECT_UNPINNED: ("projects", "A project was unpinned."),
    EventKind.PROJECT_HEALTH: ("runs", "A health check's verdict for a project: ok, warning or failing."),
    EventKind.RUN_CREATED: ("runs", "A run was created with its planned steps."),
    EventKind.RUN_STATE: ("runs", "A run's state or fields changed (state, times, error, waiting_for)."),
    EventKind.STEP_STATE: ("runs", "A step's state or fields changed (attempts, times, error, failure class, result)."),
    EventKind.STEP_PROGRESS: ("runs", "A running step reported progress: a fraction and a message."),
    EventKind.STEP_OUTPUT: (
        "runs",
        "A running step's command printed: its last lines (redacted), at most twice a second.",
    ),
    EventKind.SCHEDULE_FIRED: ("runs", "A schedule started a run."),
    EventKind.TRIGGER_FIRED: ("runs", "An event matched a trigger, which started a run."),
    EventKind.TRIGGER_ERROR: ("runs", "A trigger matched but could not start its run; the error says why."),
    EventKind.SCHEDULE_ERROR: ("runs", "A schedule could not start its run; the error says why."),
    EventKind.HEALTH_METRICS: ("health", "A sample of CPU, memory and disk use."),
    EventKind.HEALTH_PROBE: ("runs", "A health check probed a dependency (store, bus, connector)."),
    EventKind.ALERT: ("health", "Something needs attention: a threshold crossed, a stale issue, an escalation."),
    EventKind.ALERT_ACKNOWLEDGED: ("health", "A person acknowledged an active alert: it leaves the active list."),
    EventKind.BREAKER_STATE: ("resilience", "A circuit breaker changed state (CLOSED, OPEN, HALF_OPEN)."),
    EventKind.RECOVERY_ATTEMPT: (
        "resilience",
        "The recovery engine tried a strategy on a failed run, and how it went.",
    ),
    EventKind.CONNECTOR_BUDGET: ("connectors", "A connector's rate budget moved: limit, remaining, reset."),
    EventKind.CONNECTOR_ERROR: ("connectors", "A poll of GitHub or the tracker failed; when it tries again."),
    EventKind.PR_OPENED: ("connectors", "A pull request was opened."),
    EventKind.PR_UPDATED: ("connectors", "A pull request changed (head, title, state, checks)."),
    EventKind.PR_REVIEW_REQUESTED: ("connectors", "A review was requested on a pull request."),
    EventKind.PR_MERGED: ("connectors", "A pull request was merged."),
    EventKind.PR_CLOSED: ("connectors", "A pull request was closed without a merge."),
    EventKind.PR_LABELED: ("connectors", "Labels were added to a local pull request."),
    EventKind.PR_COMMENT: ("connectors", "contexten commented on a local pull request."),
    EventKind.PR_IMPACT: (
        "runs",
        "The blast radius of a pull request, computed when it was validated (a flow, or a Start Flow's gates).",
    ),
    EventKind.CHECK_STATE: ("connectors", "A local check started or ended on a pull request's head."),
    EventKind.CHECK_PASSED: ("connectors", "A check on a pull request passed."),
    EventKind.CHECK_FAILED: ("connectors", "A check on a pull request failed."),
    EventKind.CI_RUN_FAILED: ("connectors", "A CI run (GitHub Actions, or a local check run) failed."),
    EventKind.CI_RUN_STATE: ("connectors", "The poller saw a GitHub Actions run appear or change state: the run."),
    EventKind.ISSUE_CREATED: ("connectors", "An issue was created in the tracker."),
    EventKind.ISSUE_UPDATED: ("connectors", "An issue changed (title, parent, links)."),
    EventKind.ISSUE_STATE_CHANGED: ("connectors", "An issue moved to another workflow state: from, to."),
    EventKind.ISSUE_COMMENTED: ("connectors", "contexten commented on a local issue."),
    EventKind.ISSUE_PROGRESS: ("work", "A parent issue's progress over its sub-issues."),
    EventKind.ISSUE_STALE: ("work", "An issue has been started for longer than sync.stale_started_days."),
    EventKind.SYNC_DECISION: ("work", "The issue sync decided something (moved, linked, skipped) and why."),
    EventKind.SYNC_ERROR: ("work", "The issue sync could not apply an event; the error says why."),
    EventKind.ANALYSIS_WATCHING: ("analysis", "A pinned repository's first analysis is done; changes are followed."),
    EventKind.ANALYSIS_UPDATED: ("analysis", "A watched repository was re-analysed after files changed."),
    EventKind.ANALYSIS_REPORT: ("analysis", "An analysis flow stored a report (the quality trend grows)."),
    EventKind.WORK_FLOW: (
        "delivery",
        "A Start Flow changed: planned, running, paused, validating, completed, escalated, cancelled (the flow).",
    ),
    EventKind.WORK_ITEM: (
        "delivery",
        "A Start Flow item changed: state, attempt, agent, branch, pull request, error (the item).",
    ),
    EventKind.WORK_GATE: ("delivery", "A validation gate of an item's attempt passed or failed, with its output."),
    EventKind.WORK_ESCALATED: (
        "delivery",
        "An item needs a person: out of attempts, stalled, or refused by its agent; the reason says which.",
    ),
    EventKind.NOTIFY_SENDING: (
        "notify",
        "A notice from the outbox is being handed to its receiver (id, receiver, attempt).",
    ),
    EventKind.NOTIFY_SENT: ("notify", "A receiver took a notice: id, receiver, the id it gave it (Slack's ts)."),
    EventKind.NOTIFY_FAILED: (
        "notify",
        "A notice was not delivered: id, receiver, error; `retry_at` when it is tried again, none if refused.",
    ),
    EventKind.NOTIFY_REQUEUED: (
        "notify",
        "A refused or uncertain notice was queued again by a person: id, receiver, ids.",
    ),
    EventKind.CI_FAILURE: (
        "ci",
        "failure_analysis classified a failed CI job: class, signature, failing tests, first errors, issue.",
    ),
    EventKind.CI_TESTS: (
        "ci",
        "test_optimization recorded a run of a project's tests: framework, sha, total, failed, skipped, flaky, "
        "seconds.",
    ),
    EventKind.SECURITY_AUDIT: (
        "security",
        "security_audit finished a project: findings by kind and severity, new, fixed, passed (against fail_on).",
    ),
    EventKind.SECURITY_FINDING: (
        "security",
        "A security finding seen for the first time, or again after a fix: key, kind, severity, title, location.",
    ),
    EventKind.SECURITY_FILED: ("security", "A tracker issue was filed for a security finding: key, issue."),
    EventKind.NOTIFY_DIGEST: (
        "notify",
        "A project's digest (the slack_notifications flow): title, body and facts, for the routes to send.",
    ),
    EventKind.NOTIFY_TOAST: (
        "notify",
        "A notice for the consoles (a `console` receiver): title, body, severity; consoles show it as a toast.",
    ),
    EventKind.NOTICE_OPENED: (
        "notify",
        "A notice entered the inbox (id, key, title, severity, kind, chain): it waits for a person.",
    ),
    EventKind.NOTICE_ESCALATED: (
        "notify",
        "An inbox notice climbed its escalation chain: id, chain, step, of, receivers.",
    ),
    EventKind.NOTICE_ACKNOWLEDGED: (
        "notify",
        "A person acknowledged an inbox notice (id, key, by): it stops climbing. An alert's is `alert.acknowledged`.",
    ),
    EventKind.NOTICE_RESOLVED: (
        "notify",
        "An inbox notice was resolved (id, key, by): by a person, or its condition cleared (`by: condition`).",
    ),
}


def catalogue_markdown() -> str:
    """docs/events.md, from the catalogue."""
    lines = [
        "# Events",
        "",
        "Every change the daemon makes is an event: stored in SQLite in the same transaction as the state it",
        'announces, then published on the bus (`[b"ev", <Event JSON>]`), in `seq` order. This page is',
        "generated from `src/common/event_kinds.py` (`CATALOGUE`); a test keeps the two the same.",
        "",
    ]
    owners: dict[str, list[EventKind]] = {}
    for kind, (owner, _) in CATALOGUE.items():
        owners.setdefault(owner, []).append(kind)
    for owner, kinds in owners.items():
        lines += [f"## {owner}", "", "| kind | meaning |", "| --- | --- |"]
        lines += [f"| `{kind.value}` | {CATALOGUE[kind][1]} |" for kind in kinds]
        lines.append("")
    return "\n".join(lines)

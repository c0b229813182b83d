"""Names of the events the daemon publishes. The reducer in `state.py` knows what each one changes."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    DAEMON_STARTED = "daemon.started"
    DAEMON_STOPPING = "daemon.stopping"
    CONFIG_RELOADED = "config.reloaded"
    CONFIG_ERROR = "config.error"
    PROJECT_PINNED = "project.pinned"
    PROJECT_UNPINNED = "project.unpinned"
    PROJECT_HEALTH = "project.health"
    RUN_CREATED = "run.created"
    RUN_STATE = "run.state"
    STEP_STATE = "step.state"
    STEP_PROGRESS = "step.progress"
    HEALTH_METRICS = "health.metrics"
    HEALTH_PROBE = "health.probe"
    ALERT = "alert"
    BREAKER_STATE = "breaker.state"
    STORE_RESTORED = "store.restored"
    RECOVERY_ATTEMPT = "recovery.attempt"
    CONNECTOR_BUDGET = "connector.budget"
    CONNECTOR_ERROR = "connector.error"
    PR_OPENED = "pr.opened"
    PR_UPDATED = "pr.updated"
    PR_REVIEW_REQUESTED = "pr.review_requested"
    PR_MERGED = "pr.merged"
    PR_CLOSED = "pr.closed"
    PR_IMPACT = "pr.impact"  # the blast radius of a pull request, computed when it is validated
    CHECK_PASSED = "check.passed"
    CHECK_FAILED = "check.failed"
    CI_RUN_FAILED = "ci.run.failed"
    ISSUE_CREATED = "issue.created"
    ISSUE_UPDATED = "issue.updated"
    ISSUE_STATE_CHANGED = "issue.state_changed"
    ISSUE_PROGRESS = "issue.progress"
    ISSUE_STALE = "issue.stale"
    SYNC_DECISION = "sync.decision"
    ANALYSIS_WATCHING = "analysis.watching"  # a pinned repository's first analysis is done; changes are followed
    ANALYSIS_UPDATED = "analysis.updated"  # a watched repository was re-analysed after files changed
    ANALYSIS_REPORT = "analysis.report"  # an analysis flow stored a report (the quality trend grows)

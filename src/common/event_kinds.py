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

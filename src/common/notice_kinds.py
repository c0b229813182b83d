"""The kinds of notices and their severities, named once for the config, the protocol and the CLI (which
imports nothing heavier than this to answer `--help` at once)."""

from __future__ import annotations

from typing import Literal

# What can become a notice (the daemon's notify slice makes them from events), and how bad it is.
NoticeKind = Literal[
    "alert", "alert.resolved", "run.failed", "run.completed", "digest",
    # Start Flow milestones: its plan filed as issues, an item merged, the whole done, failed or stuck.
    "start_flow.planned", "start_flow.item_merged", "start_flow.completed", "start_flow.failed",
    "start_flow.escalated",
]  # fmt: skip
Severity = Literal["info", "warning", "critical"]

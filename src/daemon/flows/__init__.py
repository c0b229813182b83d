"""The built-in flows. Each module defines one `FLOW`; see docs/writing-a-flow.md."""

from __future__ import annotations

from contexten.daemon.flows import (
    backup_operations,
    code_quality_check,
    code_review_automation,
    component_analysis,
    data_recovery,
    dead_code_cleanup,
    dependency_management,
    error_healing,
    failure_analysis,
    github_automation,
    health_check,
    linear_sync,
    performance_monitoring,
    predictive_maintenance,
    security_audit,
    slack_notifications,
    synthetic,
    system_recovery,
    test_optimization,
)
from contexten.daemon.slices.runs.registry import FlowRegistry


def builtin_flows() -> FlowRegistry:
    return FlowRegistry(
        [
            health_check.FLOW,
            synthetic.FLOW,
            backup_operations.FLOW,
            data_recovery.FLOW,
            error_healing.FLOW,
            system_recovery.FLOW,
            linear_sync.FLOW,
            github_automation.FLOW,
            component_analysis.FLOW,
            code_quality_check.FLOW,
            dead_code_cleanup.FLOW,
            slack_notifications.FLOW,
            failure_analysis.FLOW,
            security_audit.FLOW,
            dependency_management.FLOW,
            test_optimization.FLOW,
            code_review_automation.FLOW,
            performance_monitoring.FLOW,
            predictive_maintenance.FLOW,
        ]
    )

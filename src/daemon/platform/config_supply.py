"""The config sections of the supply-chain flows: `[security]` (security_audit) and `[registries]`
(dependency_management). Every remote is configurable, so a mirror (or a test's fake) can stand in.

[security]
osv_api_url = "https://api.osv.dev"
fail_on = "high"
[registries]
pypi_url = "https://pypi.org"
npm_url = "https://registry.npmjs.org"
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SecuritySection(_Section):
    osv_api_url: HttpUrl = HttpUrl("https://api.osv.dev")
    fail_on: Severity | Literal["never"] = "high"  # the run fails on a finding this severe or worse
    unknown_severity: Severity = "high"  # an advisory nobody scored counts as this
    history_commits: int = Field(default=200, ge=0, le=100_000)  # recent commits searched for leaked secrets
    timeout_seconds: float = Field(default=30.0, ge=0.1, le=600)


class RegistriesSection(_Section):
    pypi_url: HttpUrl = HttpUrl("https://pypi.org")
    npm_url: HttpUrl = HttpUrl("https://registry.npmjs.org")
    timeout_seconds: float = Field(default=10.0, ge=0.1, le=300)
    max_concurrent: int = Field(default=8, ge=1, le=64)  # registry lookups in flight at once

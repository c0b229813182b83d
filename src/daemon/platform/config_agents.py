"""The config sections of the coding agents and the Start Flow: `[agents]`, `[agents.NAME]`, `[start_flow]`.

[agents]
max_concurrent = 2          # agents at work at once, over every flow
[agents.claude]
kind = "command"
command = ["claude", "-p", "{prompt}", "--permission-mode", "acceptEdits"]
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

DAY = 86_400.0
NAMED = "by_name"  # where the `[agents.NAME]` tables land; config errors leave this segment out of the key


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class AgentSection(_Section):
    kind: Literal["command"]  # Codegen's hosted agents come next (issue 11)
    # command: the argv, with {prompt_file}, {prompt}, {issue}, {worktree} and {result_file} filled in.
    command: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)  # extra environment for the agent (never secrets here)
    timeout_seconds: float = Field(default=3600.0, ge=1, le=7 * DAY)
    idle_timeout_seconds: float = Field(default=600.0, ge=1, le=DAY)  # no output this long = stalled
    max_log_bytes: int = Field(default=10_000_000, ge=1024, le=1_000_000_000)
    max_concurrent: int = Field(default=2, ge=1, le=64)  # this agent's bulkhead

    @model_validator(mode="after")
    def _complete(self) -> AgentSection:
        if not self.command:
            raise ValueError("a command agent needs `command` (the argv to run)")
        return self


class AgentsSection(_Section):
    max_concurrent: int = Field(default=2, ge=1, le=256)
    by_name: dict[str, AgentSection] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_named(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        own = {k: v for k, v in data.items() if k in ("max_concurrent", NAMED)}
        named = {k: v for k, v in data.items() if k not in own}
        return {**own, NAMED: {**own.get(NAMED, {}), **named}} if named else own


class StartFlowSection(_Section):
    planner: Literal["outline", "agent"] = "outline"
    agent: str = ""  # the agent used when a start names none; "" = the first [agents.NAME]
    max_attempts: int = Field(default=3, ge=1, le=20)
    stall_after_seconds: float = Field(default=7200.0, ge=1, le=30 * DAY)  # an item older than this escalates
    # How many gate output characters a restructuring issue and the console keep (the end, where failures are).
    output_chars: int = Field(default=4000, ge=200, le=100_000)
    gate_timeout_seconds: float = Field(default=1800.0, ge=1, le=DAY)

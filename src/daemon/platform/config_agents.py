"""The config sections of the coding agents and the Start Flow: `[agents]`, `[agents.NAME]`, `[start_flow]`.

[agents]
max_concurrent = 2          # agents at work at once, over every flow
[agents.claude]
kind = "command"
command = ["claude", "-p", "{prompt}", "--permission-mode", "acceptEdits"]
[agents.codegen]
kind = "codegen"
org_id = 123
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

DAY = 86_400.0
NAMED = "by_name"  # where the `[agents.NAME]` tables land; config errors leave this segment out of the key


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class AgentSection(_Section):
    kind: Literal["command", "codegen"]
    # command: the argv, with {prompt_file}, {prompt}, {issue}, {worktree} and {result_file} filled in.
    command: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)  # extra environment for the agent (never secrets here)
    timeout_seconds: float = Field(default=3600.0, ge=1, le=7 * DAY)
    idle_timeout_seconds: float = Field(default=600.0, ge=1, le=DAY)  # no output this long = stalled
    max_log_bytes: int = Field(default=10_000_000, ge=1024, le=1_000_000_000)
    max_concurrent: int = Field(default=2, ge=1, le=64)  # this agent's bulkhead
    # kind = "codegen": Codegen's agent API. The token comes from $CODEGEN_API_TOKEN (or the systemd
    # credential codegen-token), never from this file.
    org_id: int | None = Field(default=None, ge=1)
    api_url: HttpUrl = HttpUrl("https://api.codegen.com")
    repo_id: int | None = Field(default=None, ge=1)
    model: str = Field(default="", max_length=200)
    agent_type: Literal["codegen", "claude_code"] | None = None
    poll_seconds: float = Field(default=15.0, ge=0.5, le=3600)  # reads are limited to 60 per 30 s
    request_timeout_seconds: float = Field(default=30.0, ge=0.1, le=300)

    @model_validator(mode="after")
    def _complete(self) -> AgentSection:
        if self.kind == "command" and not self.command:
            raise ValueError("a command agent needs `command` (the argv to run)")
        if self.kind == "codegen" and self.org_id is None:
            raise ValueError("a codegen agent needs `org_id` (your Codegen organization's id)")
        if self.kind == "codegen" and self.command:
            raise ValueError('a codegen agent runs on Codegen\'s side: `command` is for kind = "command"')
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

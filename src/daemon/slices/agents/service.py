"""The configured agents, by name, with their bulkheads: `[agents] max_concurrent` over all of them and each
agent's own `max_concurrent`, so one slow agent cannot hold every slot."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from contexten.common.start_flow import AgentView
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.config_agents import AgentSection
from contexten.daemon.platform.credentials import load_token
from contexten.daemon.slices.agents.codegen import CodegenAgent, CodegenSettings
from contexten.daemon.slices.agents.codegen_client import CodegenClient
from contexten.daemon.slices.agents.command import CommandAgent, CommandSettings
from contexten.daemon.slices.agents.port import Agent, AgentError
from contexten.daemon.slices.resilience.ports import Guards

AgentFactory = Callable[[str, AgentSection], Agent]


def command_agent(name: str, section: AgentSection) -> Agent:
    return CommandAgent(
        name,
        CommandSettings(
            tuple(section.command),
            section.timeout_seconds,
            section.idle_timeout_seconds,
            section.max_log_bytes,
            section.max_concurrent,
            dict(section.env),
        ),
    )


def codegen_agents(guards: Guards) -> AgentFactory:
    """Makes `codegen` agents: one API client each, behind the `codegen` circuit breaker."""

    def make(name: str, section: AgentSection) -> Agent:
        assert section.org_id is not None  # the config requires it for this kind
        settings = CodegenSettings(section.repo_id, section.model, section.agent_type, section.poll_seconds,
                                   section.timeout_seconds, section.max_concurrent)  # fmt: skip
        token = load_token("CODEGEN_API_TOKEN", "codegen-token")
        if token is None:
            return CodegenAgent(name, None, settings, "no Codegen token: set $CODEGEN_API_TOKEN (or the "
                                "systemd credential codegen-token)")  # fmt: skip
        client = CodegenClient(str(section.api_url), section.org_id, token, guards.get("codegen"),
                               section.request_timeout_seconds)  # fmt: skip
        return CodegenAgent(name, client, settings)

    return make


class AgentPool:
    def __init__(self, config: Callable[[], Config], factories: dict[str, AgentFactory]) -> None:
        self._config = config
        self._factories = factories
        self._agents: dict[str, Agent] = {}
        self._sections: dict[str, AgentSection] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._all = asyncio.Semaphore(config().agents.max_concurrent)
        self._limit = config().agents.max_concurrent
        self._running: dict[str, int] = {}
        self.reconfigure(config())

    def reconfigure(self, config: Config) -> None:
        """Agents whose settings did not change are kept, with their bulkheads and the processes they
        follow. A changed limit takes a new semaphore: attempts holding the old one finish under it."""
        agents: dict[str, Agent] = {}
        for name, section in config.agents.by_name.items():
            kept = self._agents.get(name)
            if kept is not None and self._sections.get(name) == section:
                agents[name] = kept
            else:
                agents[name] = self._factories[section.kind](name, section)
                self._slots[name] = asyncio.Semaphore(section.max_concurrent)
        self._agents, self._sections = agents, dict(config.agents.by_name)
        if config.agents.max_concurrent != self._limit:
            self._all, self._limit = asyncio.Semaphore(config.agents.max_concurrent), config.agents.max_concurrent

    def names(self) -> list[str]:
        return list(self._agents)

    def default_name(self) -> str | None:
        chosen = self._config().start_flow.agent
        return chosen or next(iter(self._agents), None)

    def get(self, name: str) -> Agent:
        agent = self._agents.get(name)
        if agent is None:
            known = ", ".join(self._agents) or "none is configured ([agents.NAME] in the config)"
            raise AgentError(name, f"no such agent; the agents are: {known}")
        return agent

    def views(self) -> list[AgentView]:
        out = []
        for name, agent in self._agents.items():
            info = agent.info()
            out.append(
                AgentView(
                    name=name,
                    kind=info.kind,
                    local=info.local,
                    max_concurrent=info.max_concurrent,
                    ready=info.ready,
                    problem=info.problem,
                    running=self._running.get(name, 0),
                )
            )
        return out

    @contextlib.asynccontextmanager
    async def slot(self, name: str) -> AsyncIterator[Agent]:
        """A place for one attempt of this agent, within both bulkheads."""
        agent = self.get(name)
        every, own = self._all, self._slots[name]
        # Its own bulkhead first: an attempt waiting for its agent must not hold one of the global slots
        # meanwhile (it would starve every other agent).
        async with own, every:
            self._running[name] = self._running.get(name, 0) + 1
            try:
                yield agent
            finally:
                self._running[name] -= 1

    async def close(self) -> None:
        for agent in self._agents.values():
            await agent.close()

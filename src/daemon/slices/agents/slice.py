"""The agents slice: the configured coding agents behind the agent port, their bulkheads, and `agent.list`.
The Start Flow (the delivery slice) gets them through `AgentPool`."""

from __future__ import annotations

from contexten.common.protocol.delivery import ListAgents
from contexten.common.start_flow import AgentView
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.agents.service import AgentPool


class AgentsSlice(Slice):
    name = "agents"
    config_sections = frozenset({"agents"})

    def __init__(self, pool: AgentPool) -> None:
        super().__init__()
        self.pool = pool

    async def reconfigure(self, config: Config) -> None:
        self.pool.reconfigure(config)

    async def close(self) -> None:
        await self.pool.close()

    @handles(ListAgents)
    async def list_agents(self, req: ListAgents) -> list[AgentView]:
        return self.pool.views()

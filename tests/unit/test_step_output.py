"""A running step's command is seen as it prints: `step.output` events carry its last lines (redacted),
at most twice a second, while the step still runs."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from contexten.common.event_kinds import EventKind
from contexten.common.models import Event, RunState
from contexten.daemon.platform.secrets import SECRETS
from contexten.daemon.slices.runs.flow import StepContext, StepSpec
from tests.helpers import eventually
from tests.unit.test_engine import engine, finished, flow

SECRET = "tok-live-output-8f3a"
# Prints, then blocks on a FIFO the test opens only once it has seen the lines live: the step cannot
# have finished when they are seen.
CHILD = f"""
import sys
for i in range(1, 301):
    print(f"compiling {{i}}", flush=True)
print("token {SECRET}", flush=True)
open(sys.argv[1]).read()
print("done", flush=True)
"""


async def test_a_running_commands_last_lines_are_published_redacted_and_throttled(tmp_path: Path) -> None:
    SECRETS.add(SECRET)
    fifo = tmp_path / "release"
    os.mkfifo(fifo)

    async def build(ctx: StepContext) -> dict[str, int]:
        result = await ctx.run_process(sys.executable, "-c", CHILD, str(fifo), timeout=60)
        return {"code": result.code}

    async with engine(tmp_path, flow("build", StepSpec("build", build))) as (runner, queries):
        run_id = (await runner.start("build", None, {})).id

        async def outputs() -> list[Event]:
            events = await queries.events_since(0, 10_000, run=run_id)
            return [e for e in events if e.kind == EventKind.STEP_OUTPUT]

        async def saw_the_token_line() -> bool:
            return any("token" in e.data["tail"] for e in await outputs())

        await eventually(saw_the_token_line, 30, "the command's last lines while it runs")
        running = await queries.run(run_id)
        assert running is not None and running.steps[0].state == "RUNNING"
        await asyncio.to_thread(fifo.write_text, "go")
        run = await finished(queries, run_id, 30)
        assert run.state == RunState.COMPLETED

        seen = await outputs()
        last = next(e for e in seen if "token" in e.data["tail"])
        assert last.data["index"] == 0
        lines = last.data["tail"].splitlines()
        assert lines[-1] == "token ***" and SECRET not in last.data["tail"]
        assert len(lines) == 12 and lines[0] == "compiling 290"
        # 301 lines printed: two events a second at most, not one per line or per chunk.
        assert len(seen) < 10

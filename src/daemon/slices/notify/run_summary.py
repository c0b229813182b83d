"""What a run did, for the notice of its end: each step's name and the last thing it said ("ok, 1.2 MB, 420
events", "kept 7, removed 0"), gathered from the run's own events as they pass. Bounded: a run's lines go
with its end, and only the latest ended runs are kept, so a retry of one is still told by name."""

from __future__ import annotations

from typing import Any

LINES = 10  # steps told; the rest counted
WIDTH = 160  # characters of a step's line
KEPT = 500  # ended runs remembered for their retries


class RunSummaries:
    def __init__(self) -> None:
        self._steps: dict[int, dict[int, list[str]]] = {}  # run -> step index -> [name, last message]
        self._ended: dict[int, dict[int, list[str]]] = {}

    def remember(self, run: int, steps: list[tuple[int, str, str]]) -> None:
        self._steps[run] = {index: [name, message] for index, name, message in steps}

    def on_event(self, kind: str, data: dict[str, Any], run: int) -> None:
        if kind == "run.created":
            steps = (data.get("run") or {}).get("steps") or []
            self._steps[run] = {int(s.get("index", i)): [str(s.get("name") or f"step {i + 1}"), ""]
                                for i, s in enumerate(steps) if isinstance(s, dict)}  # fmt: skip
            return
        index, message = data.get("index"), data.get("message")
        if kind in ("step.progress", "step.state") and isinstance(index, int) and isinstance(message, str) and message:
            steps = self._steps.setdefault(run, self._ended.pop(run, {}))
            steps.setdefault(index, [f"step {index + 1}", ""])[1] = message

    def ended(self, run: int) -> str:
        """The run's lines, once it ended (kept a while, for a retry that ends again)."""
        steps = self._steps.pop(run, None) or self._ended.get(run, {})
        self._ended[run] = steps
        while len(self._ended) > KEPT:
            del self._ended[next(iter(self._ended))]
        told = [f"{name}: {message}"[:WIDTH] for _, (name, message) in sorted(steps.items()) if message]
        more = [f"... and {len(told) - LINES} more steps"] if len(told) > LINES else []
        return "\n".join(told[:LINES] + more)

"""Command palette provider: the same actions as the keys, plus "start FLOW" for each flow."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from contexten.tui.keys import ACTIONS

if TYPE_CHECKING:
    from contexten.tui.app import ContextenApp


class ContextenCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app: ContextenApp = self.app  # type: ignore[assignment]
        commands: list[tuple[str, str, object]] = [
            (a.description, f"key: {a.key}", partial(app.run_action, a.name)) for a in ACTIONS
        ]
        commands.extend(
            (f"Start flow: {flow.name}", flow.description, partial(app.action_start, flow.name)) for flow in app.flows
        )
        return commands

    async def discover(self) -> Hits:
        for label, help_text, callback in self._commands():
            yield DiscoveryHit(label, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, callback in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback, help=help_text)  # type: ignore[arg-type]

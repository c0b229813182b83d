"""The role of a screen drawn from the console's state (the dashboard, a run's screen).

The app refreshes every such screen on its stack and hands it the link's status and the daemon's events,
without importing the screens themselves (they are imported when first opened). Each posts `ViewMounted`
from its `on_mount`, so the state is drawn into it at once rather than at the next tick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contexten.common.models import Event
    from contexten.common.state import ConsoleState
    from contexten.tui.widgets.connection_indicator import LinkStatus


class StateView:
    def refresh_view(self, state: ConsoleState, now: float) -> None:
        raise NotImplementedError

    def show_link(self, status: LinkStatus, detail: str) -> None:
        raise NotImplementedError

    def add_event(self, event: Event) -> None:
        """Any event from the daemon, for a view that shows some of them beside the state."""

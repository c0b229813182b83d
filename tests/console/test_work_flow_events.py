"""How the flow screen folds the daemon's work.* events into what it shows: newer item states replace
older ones, an event older than the loaded flow is ignored, another flow's events are not this one's,
and a shape the console does not know makes it load the whole flow again."""

from __future__ import annotations

from typing import Any

from contexten.common.clock import FakeClock
from contexten.common.models import Event
from contexten.common.start_flow import ItemState
from contexten.tui.app import ContextenApp
from contexten.tui.screens.work_flow import WorkFlowScreen
from contexten.tui.widgets.work_tree import WorkTree
from tests.console.fake_link import T0, FakeDaemonLink
from tests.helpers import await_for


def _item_event(seq: int, flow: int, item: dict[str, Any]) -> Event:
    return Event(seq=seq, ts=T0, kind="work.item", project="api", data={"flow": flow, "item": item})


async def test_events_update_the_tree_in_order_and_unknown_shapes_reload() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(link=link, clock=FakeClock(T0))
    async with app.run_test(size=(150, 40)):
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        app.open_work_flow(7)
        await await_for(lambda: isinstance(app.screen, WorkFlowScreen) and app.screen.flow is not None, 5, "flow 7")
        screen = app.screen
        assert isinstance(screen, WorkFlowScreen) and screen.flow is not None
        waiting = screen.flow.items[5].model_dump(mode="json")

        # Item 6 starts coding: a newer state replaces the shown one, and its label says so.
        screen.on_daemon_event(_item_event(1, 7, {**waiting, "state": "coding", "attempt": 1, "updated_at": T0 + 5}))
        assert screen.flow.items[5].state is ItemState.CODING
        assert "coding" in str(screen.query_one(WorkTree).root.children[5].label)
        # An older event (sent before the load answered, arriving after it) does not undo that.
        screen.on_daemon_event(_item_event(2, 7, {**waiting, "state": "waiting", "updated_at": T0 - 1}))
        assert screen.flow.items[5].state is ItemState.CODING
        # Another flow's item is not this flow's.
        screen.on_daemon_event(_item_event(3, 8, {**waiting, "state": "merged", "updated_at": T0 + 9}))
        assert screen.flow.items[5].state is ItemState.CODING
        # The flow itself pauses.
        flow_data = screen.flow.model_dump(mode="json", exclude={"items", "requirements"})
        screen.on_daemon_event(Event(seq=4, ts=T0, kind="work.flow", project="api",
                                     data={"flow": {**flow_data, "paused": True, "updated_at": T0 + 6}}))  # fmt: skip
        assert screen.flow.paused and len(screen.flow.items) == 6
        # A shape it cannot read: the screen asks for the whole flow again, and shows what the daemon says.
        loads = link.work.calls.count(("get_work", 7))
        screen.on_daemon_event(_item_event(5, 7, {"id": "not a number"}))
        await await_for(lambda: link.work.calls.count(("get_work", 7)) == loads + 1, 5, "a reload")
        await await_for(lambda: screen.flow is not None and screen.flow.items[5].state is ItemState.WAITING, 5,
                        "the daemon's own state")  # fmt: skip

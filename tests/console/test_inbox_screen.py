"""The inbox screen (issue 14): `b` opens it, it lists every notice with its state and escalation step,
`a` acknowledges and `x` resolves the highlighted one, `v` keeps the open ones only, `/` filters, and the
highlighted notice's history is shown. A `notify.toast` event becomes a toast coloured by severity."""

from __future__ import annotations

import time

from textual.pilot import Pilot
from textual.widgets import Label, Static

from contexten.common.models import Event
from contexten.common.paths import resolve_paths
from contexten.tui.app import ContextenApp
from contexten.tui.help_rows import help_rows
from contexten.tui.screens.inbox import InboxScreen
from contexten.tui.widgets.list_table import ListTable
from tests.console.fake_link import FakeDaemonLink
from tests.helpers import await_for

SIZE = (140, 40)


def _app(link: FakeDaemonLink) -> ContextenApp:
    return ContextenApp(resolve_paths({"CONTEXTEN_HOME": "/srv/contexten"}), link)


async def _open_inbox(app: ContextenApp, pilot: Pilot[None]) -> InboxScreen:
    await await_for(lambda: app.link_status == "connected", 5, "the fake link")
    await pilot.press("b")
    await await_for(lambda: isinstance(app.screen, InboxScreen) and bool(app.screen.entries), 5, "the inbox")
    assert isinstance(app.screen, InboxScreen)
    return app.screen


def _cells(table: ListTable, key: str) -> list[str]:
    return [str(c) for c in table.get_row(key)]


async def test_b_opens_the_inbox_and_a_acknowledges_the_highlighted_notice() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_inbox(app, pilot)
        table = screen.query_one(ListTable)
        assert table.shown_keys == ["3", "2", "1"]
        first = _cells(table, "3")
        assert first[1] == "new" and first[2] == "critical" and first[3] == "4" and first[4] == "1/3 oncall"
        assert _cells(table, "1")[1] == "resolved"
        status = str(screen.query_one("#inbox-status", Label).render())
        assert "3 notices" in status and "1 new" in status
        detail = str(screen.query_one("#inbox-detail", Static).render())
        assert "run 2 (synthetic) needs a person" in detail and "escalated step 1 of oncall" in detail
        assert "next escalation step at" in detail
        await pilot.press("a")
        await await_for(lambda: any(c[0] == "notice.ack" and c[1][0] == 3 for c in link.inbox.calls), 5, "the ack")
        await await_for(lambda: _cells(table, "3")[1] == "acknowledged", 5, "the list read again")
        assert "next escalation step" not in str(screen.query_one("#inbox-detail", Static).render())
        await pilot.press("a")  # acknowledged already: said, not sent
        await await_for(lambda: any("acknowledged already" in str(n.message) for n in app._notifications), 5, "why")
        assert sum(1 for c in link.inbox.calls if c[0] == "notice.ack") == 1


async def test_x_resolves_v_keeps_the_open_ones_and_the_filter_narrows() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_inbox(app, pilot)
        table = screen.query_one(ListTable)
        await pilot.press("j")  # #2, the acknowledged failed run
        await await_for(lambda: "step-2 failed" in str(screen.query_one("#inbox-detail", Static).render()), 5,
                        "its detail")  # fmt: skip
        assert "acknowledged by ana" in str(screen.query_one("#inbox-detail", Static).render())
        await pilot.press("x")
        await await_for(lambda: any(c[0] == "notice.resolve" and c[1][0] == 2 for c in link.inbox.calls), 5,
                        "the resolve sent")  # fmt: skip
        await await_for(lambda: _cells(table, "2")[1] == "resolved", 5, "shown resolved")
        await pilot.press("v")
        await await_for(lambda: table.shown_keys == ["3"], 5, "the open one only")
        assert ("inbox", "open") in link.inbox.calls and str(table.border_title) == "Inbox · open only"
        await pilot.press("v")
        await await_for(lambda: table.shown_keys == ["3", "2", "1"], 5, "every one again")
        await pilot.press("slash", *"sampler", "enter")
        await await_for(lambda: table.shown_keys == ["1"], 5, "the sampler's notice")
        await pilot.press("escape")  # clears the filter, stays
        await await_for(lambda: table.shown_keys == ["3", "2", "1"], 5, "the filter cleared")
        assert isinstance(app.screen, InboxScreen)
        await pilot.press("escape")
        await await_for(lambda: not isinstance(app.screen, InboxScreen), 5, "back to the dashboard")


async def test_the_inbox_reads_again_on_a_notice_event_and_its_help_lists_its_keys() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_inbox(app, pilot)
        keys = {(section, keys) for section, keys, _ in help_rows(screen, app)}
        assert {("this screen", "a"), ("this screen", "x"), ("this screen", "v"), ("this screen", "/")} <= keys
        assert not any(k == "r" for _, k in keys)  # the dashboard's retry means nothing here
        reads = sum(1 for c in link.inbox.calls if c[0] == "inbox")
        link.inbox.entries[0].state = "acknowledged"  # someone acknowledged it from the CLI
        link.items.put_nowait(Event(seq=500, ts=time.time(), kind="notice.acknowledged", data={"id": 3}))
        await await_for(lambda: sum(1 for c in link.inbox.calls if c[0] == "inbox") > reads, 5, "read again")
        table = screen.query_one(ListTable)
        await await_for(lambda: _cells(table, "3")[1] == "acknowledged", 5, "shown acknowledged")


async def test_a_console_notice_becomes_a_toast_coloured_by_severity_and_an_old_one_does_not() -> None:
    link = FakeDaemonLink()
    app = _app(link)
    async with app.run_test(size=SIZE):
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        now = time.time()
        data = {"title": "critical from recovery", "body": "run 2 needs a person", "severity": "critical",
                "kind": "alert", "project": "api", "run": 2}  # fmt: skip
        stale = {**data, "title": "an old one", "severity": "warning"}
        link.items.put_nowait(Event(seq=501, ts=now - 3600, kind="notify.toast", data=stale))
        link.items.put_nowait(Event(seq=502, ts=now, kind="notify.toast", data=data))
        await await_for(lambda: any(n.title == "critical from recovery" for n in app._notifications), 5, "a toast")
        toast = next(n for n in app._notifications if n.title == "critical from recovery")
        assert toast.severity == "error" and "run 2 needs a person" in toast.message and "api · run #2" in toast.message
        assert not any(n.title == "an old one" for n in app._notifications)
        link.items.put_nowait(Event(seq=503, ts=now, kind="alert", data={"severity": "critical", "message": "x"}))
        link.items.put_nowait(Event(seq=504, ts=now, kind="notify.toast", data={**data, "title": "info",
                                                                                "severity": "info"}))  # fmt: skip
        await await_for(lambda: any(n.title == "info" for n in app._notifications), 5, "the info toast")
        assert next(n for n in app._notifications if n.title == "info").severity == "information"
        assert not any(n.message == "x" for n in app._notifications)  # an alert event itself does not toast

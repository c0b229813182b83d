"""The fake link's inbox: three notices (a critical alert climbing its chain, a failed run acknowledged,
a resolved one), answered and moved as the notify slice does: acknowledging stops the climb, resolving
closes the row, a resolved row refuses both."""

from __future__ import annotations

from typing import Any

from contexten.common.errors import CommandFailed
from contexten.common.protocol import Request
from contexten.common.protocol.notify import AckNotice, InboxEntry, InboxLine, ListInbox, ResolveNotice

T0 = 1_700_000_000.0


def sample_inbox() -> list[InboxEntry]:
    opened = InboxLine(at=T0 - 900, what="opened", seq=401, chain="oncall")
    climbed = InboxLine(at=T0 - 900, what="escalated", seq=402, chain="oncall", step=1, receivers=["team"])
    return [
        InboxEntry(id=3, key="recovery:run 2", title="critical from recovery", body="run 2 (synthetic) needs a person",
                   severity="critical", kind="alert", project="api", run=2, state="new", count=4, chain="oncall",
                   step=1, of=3, next_at=T0 + 300, created_at=T0 - 900, updated_at=T0 - 60,
                   history=[opened, climbed]),
        InboxEntry(id=2, key="run 5 failed", title="run #5 synthetic failed", body="step-2 failed", severity="warning",
                   kind="run.failed", project="web", run=5, state="acknowledged", count=1, created_at=T0 - 1200,
                   updated_at=T0 - 1100, history=[InboxLine(at=T0 - 1200, what="opened", seq=390),
                                                   InboxLine(at=T0 - 1100, what="acknowledged", seq=395, by="ana")]),
        InboxEntry(id=1, key="sampler:cpu", title="warning from sampler", body="cpu at 93%", severity="warning",
                   kind="alert", state="resolved", count=2, created_at=T0 - 3600, updated_at=T0 - 3000,
                   history=[InboxLine(at=T0 - 3000, what="resolved", seq=300, by="condition")]),
    ]  # fmt: skip


class FakeInbox:
    def __init__(self) -> None:
        self.entries = sample_inbox()
        self.calls: list[tuple[str, Any]] = []

    def answer(self, request: Request[Any]) -> Any:
        match request:
            case ListInbox(state=state, limit=limit):
                self.calls.append(("inbox", state))
                wanted = {"": ("new", "acknowledged", "resolved"), "open": ("new", "acknowledged")}.get(state, (state,))
                return [e.model_copy() for e in self.entries if e.state in wanted][:limit]
            case AckNotice(id=notice_id, by=by):
                self.calls.append(("notice.ack", (notice_id, by)))
                return self._move(notice_id, "acknowledged", by)
            case ResolveNotice(id=notice_id, by=by):
                self.calls.append(("notice.resolve", (notice_id, by)))
                return self._move(notice_id, "resolved", by)
        return NotImplemented

    def _move(self, notice_id: int, state: str, by: str) -> InboxEntry:
        entry = next((e for e in self.entries if e.id == notice_id), None)
        if entry is None:
            raise CommandFailed("not_found", f"no notice #{notice_id} in the inbox")
        if entry.state == "resolved":
            raise CommandFailed("conflict", f"notice #{notice_id} is resolved already")
        if state == "acknowledged" and entry.state != "new":
            return entry
        line = InboxLine(at=T0, what=state, seq=500, by=by or "a person")
        entry.state, entry.next_at, entry.history = state, None, [*entry.history, line]
        return entry

"""The notify slice: routes the notices events make (alerts, a run's failure or completion) through the
`[notify]` routing tree into the outbox, in the event's own transaction, and delivers the outbox, one
worker per receiver; keeps the inbox of notices a person may need to act on, and climbs their escalation
chains (keeper.py). Answers `notify.outbox`, `notify.route`, `notify.test`, `notify.retry`, `notify.inbox`,
`notify.ack` and `notify.resolve`."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
from typing import Any

import aiosqlite

from contexten.common.alerts import alert_key
from contexten.common.clock import Clock
from contexten.common.errors import CommandFailed
from contexten.common.event_kinds import EventKind
from contexten.common.protocol.notify import (
    AckNotice,
    ExplainRoute,
    InboxEntry,
    InboxLine,
    ListInbox,
    ListOutbox,
    OutboxEntry,
    ReceiverTried,
    Requeued,
    ResolveNotice,
    RetryNotice,
    RouteStep,
    TryReceiver,
)
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.config_notify import ReceiverSection, with_defaults
from contexten.daemon.platform.credentials import Secret, load_token
from contexten.daemon.platform.eventlog import EventLog, Published
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.platform.secrets import redact
from contexten.daemon.platform.store.writes import Statement
from contexten.daemon.slices.notify import inbox, outbox
from contexten.daemon.slices.notify.destinations import (
    ConsoleToast,
    DeliveryRefused,
    Destination,
    LogDestination,
    SlackApi,
    SlackWebhook,
    Webhook,
)
from contexten.daemon.slices.notify.escalation import Escalations
from contexten.daemon.slices.notify.groups import GroupSchedule
from contexten.daemon.slices.notify.inbox import Inbox, InboxRow
from contexten.daemon.slices.notify.inhibit import Inhibitor
from contexten.daemon.slices.notify.keeper import Keeper, condition_of
from contexten.daemon.slices.notify.mute import holds
from contexten.daemon.slices.notify.notices import NoticeMaker
from contexten.daemon.slices.notify.outbox import Outbox, OutboxRow
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.recall import recall
from contexten.daemon.slices.notify.repeats import Repeats
from contexten.daemon.slices.notify.routing import RouteTree
from contexten.daemon.slices.notify.sender import ReceiverWorker
from contexten.daemon.slices.notify.smtp import Email
from contexten.daemon.slices.resilience.ports import Guards, Unguarded

log = logging.getLogger("contexten.notify")
# Events that move the inbox without being notices themselves.
KEEPER_KINDS = frozenset({EventKind.ALERT_ACKNOWLEDGED, EventKind.NOTICE_ACKNOWLEDGED, EventKind.NOTICE_RESOLVED,
                          EventKind.NOTICE_ESCALATED})  # fmt: skip


class NotifySlice(Slice):
    name = "notify"
    config_sections = frozenset({"notify"})

    def __init__(self, events: EventLog, db: aiosqlite.Connection, clock: Clock, config: Config,
                 config_path: str, breakers: Guards, env: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__()
        self._events = events
        self._db = db
        self._clock = clock
        self._config = config
        self._path = config_path
        self._breakers = breakers
        self._env = dict(os.environ) if env is None else env
        self._notify = with_defaults(config.notify)
        self._tree = RouteTree.compile(self._notify, config_path)  # a bad route stops start-up, by key
        self._maker = NoticeMaker()
        self._box = Outbox(db)
        self._workers: dict[str, ReceiverWorker] = {}
        self._worker_tasks: list[asyncio.Task[None]] = []
        self._queued: dict[int, set[str]] = {}  # event seq -> receivers it queued rows for, until published
        self._groups = GroupSchedule()
        self._inhibitor = Inhibitor(self._notify.inhibit)
        self._repeats = Repeats()
        self._inbox = Inbox(db)
        self._keeper = Keeper(events, clock, Escalations.compile(self._notify, config_path), self._repeats.forget)
        clock.on_jump(self._keeper.wake)  # a test's clock moved by hand: due steps are looked at again
        # Registered now, before any slice starts: every event from the first one on is routed.
        events.add_companion(self._route)
        events.add_listener(self._published)

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        await recall(self._db, self._maker)  # what open runs and Start Flows did before a restart
        interrupted = await self._box.in_state("sending")
        for row in interrupted:
            error = "the daemon stopped during the send: not sent again (it may have been delivered)"
            data = {"id": row.id, "receiver": row.receiver, "error": error, "retry_at": None}
            first = row is interrupted[0]  # its write marks every interrupted row
            self._events.emit(EventKind.NOTIFY_FAILED, data, writes=[outbox.uncertain()] if first else [])
        flushed, due = await self._box.groups()
        self._groups = GroupSchedule(flushed, due)
        self._repeats.load(await self._box.told())
        self._keeper.load(await self._inbox.open_rows(), await self._inbox.last_id())
        self._start_workers()
        self.spawn(self._keeper.run(), "escalations")

    def check(self, config: Config) -> None:
        section = with_defaults(config.notify)
        RouteTree.compile(section, self._path)
        Escalations.compile(section, self._path)

    async def reconfigure(self, config: Config) -> None:
        self._config, self._notify = config, with_defaults(config.notify)
        self._tree = RouteTree.compile(self._notify, self._path)
        self._inhibitor.configure(self._notify.inhibit)
        self._keeper.chains = Escalations.compile(self._notify, self._path)
        self._keeper.wake()
        await self._stop_workers()
        self._start_workers()

    async def close(self) -> None:
        await self._stop_workers()

    def _start_workers(self) -> None:
        for name, receiver in self._notify.receivers.items():
            local = receiver.kind in ("console", "log")  # in-process: no breaker in the health panel for it
            breaker = Unguarded() if local else self._breakers.get(f"notify:{name}")
            worker = ReceiverWorker(name, self._destination(receiver), receiver.min_interval_seconds, breaker,
                                    self._box, self._events, self._clock, self._groups)  # fmt: skip
            self._workers[name] = worker
            self._worker_tasks.append(asyncio.create_task(self._supervised(worker), name=f"notify-{name}"))

    async def _supervised(self, worker: ReceiverWorker) -> None:
        while True:
            try:
                await worker.run()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store read failed, say: that receiver waits and goes on, the others are fine
                log.exception("the %s notification worker failed; starting it again", worker.name)
                await asyncio.sleep(5.0)  # before trying the store again, not to wait for an event

    async def _stop_workers(self) -> None:
        tasks, self._worker_tasks = self._worker_tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        workers, self._workers = self._workers, {}
        for worker in workers.values():
            with contextlib.suppress(Exception):
                await worker.destination.close()

    def _destination(self, receiver: ReceiverSection) -> Destination:
        timeout = receiver.timeout_seconds
        if receiver.kind == "log":
            return LogDestination()
        if receiver.kind == "console":
            return ConsoleToast(lambda data: self._events.emit(EventKind.NOTIFY_TOAST, data, run=data["run"],
                                                               project=data["project"]))  # fmt: skip
        if receiver.kind == "email":
            login = None
            if receiver.username_env:
                user, password = self._secret(receiver.username_env), self._secret(receiver.password_env)
                if user is None or password is None:
                    return _Missing(f"${receiver.username_env} or ${receiver.password_env} is not set: no login")
                login = (user, password)
            return Email(receiver.smtp_host, receiver.smtp_port, receiver.tls == "starttls", receiver.ca_file,
                         receiver.from_, receiver.to, login, timeout)  # fmt: skip
        if receiver.kind == "slack_api":
            token = load_token(receiver.token_env, "slack-token", env=self._env)
            return SlackApi(str(receiver.api_url), token, receiver.channel, timeout)
        url = self._secret(receiver.url_env)
        if url is None:
            return _Missing(f"${receiver.url_env} is not set: no URL to send to")
        if receiver.kind == "slack_webhook":
            return SlackWebhook(url, timeout)
        return Webhook(url, self._secret(receiver.secret_env) if receiver.secret_env else None, timeout)

    def _secret(self, variable: str) -> Secret | None:
        return load_token(variable, variable.lower().replace("_", "-"), env=self._env)

    # ---- routing, in the event log's enqueue -----------------------------------------------------

    def _route(self, seq: int, kind: str, data: dict[str, Any], run: int | None,
               project: str | None) -> list[Statement]:  # fmt: skip
        if kind in KEEPER_KINDS:
            writes, receivers = self._keeper.on_event(seq, kind, data)
            if receivers:
                self._queued[seq] = set(receivers)
            return writes
        notice = self._maker.from_event(kind, data, run, project)
        if notice is None:
            return []
        key = None
        if kind == "alert":
            key = alert_key(data, project, run)
            self._inhibitor.saw_alert(key, notice)
            if self._inhibitor.muted(notice, key) is not None:
                return []
        elif self._inhibitor.muted(notice) is not None:
            return []
        writes = self._keeper.on_notice(seq, notice, key)  # the inbox keeps it even where mute intervals hold
        now = self._clock.now()
        condition = condition_of(notice, key)
        intervals = self._notify.mute_intervals
        deliveries = [d for d in self._tree.deliveries(notice) if not any(holds(intervals[m], now) for m in d.mute)
                      and (condition is None or self._repeats.allow(d, condition, now))]  # fmt: skip
        if not deliveries:
            return writes
        self._queued[seq] = {d.receiver for d in deliveries}
        timed = [(d, self._groups.due(d.group, d.group_wait, d.group_interval, now) if d.group else now)
                 for d in deliveries]  # fmt: skip
        return [*writes, *outbox.queued(seq, notice, timed, now, condition)]

    def _published(self, event: Published) -> None:
        self._keeper.announce(event.seq)
        if not self._queued:
            return
        # Queued in seq order (a dict keeps it): the front is all that can be ready. An event the store refused
        # is never published; the next one published after it lets it go.
        ready = list(itertools.takewhile(lambda s: s <= event.seq, self._queued))
        for seq in ready:
            for receiver in self._queued.pop(seq):
                worker = self._workers.get(receiver)
                if worker is not None:
                    worker.wake()

    # ---- requests --------------------------------------------------------------------------------

    @handles(ListOutbox)
    async def list_outbox(self, request: ListOutbox) -> list[OutboxEntry]:
        states = (request.state,) if request.state else outbox.STATES
        return [_entry(row) for row in await self._box.latest(request.limit, states)]

    @handles(ListInbox)
    async def list_inbox(self, request: ListInbox) -> list[InboxEntry]:
        if request.id is not None:
            row = await self._inbox.get(request.id)
            return [self._inbox_entry(row)] if row is not None else []
        states = {"": inbox.STATES, "open": ("new", "acknowledged")}.get(request.state, (request.state,))
        return [self._inbox_entry(row) for row in await self._inbox.latest(request.limit, states)]

    @handles(AckNotice)
    async def ack_notice(self, request: AckNotice) -> InboxEntry:
        row = await self._open_row(request.id, "acknowledge")
        if row.state == "new":
            data = {"key": row.key, "id": row.id, "by": request.by or "a person"}
            n = row.notice
            if n.kind == "alert":  # the alerts list and the inbox are one: both let it go
                data["message"] = n.body
            kind = EventKind.ALERT_ACKNOWLEDGED if n.kind == "alert" else EventKind.NOTICE_ACKNOWLEDGED
            await self._events.commit(kind, data, run=n.run, project=n.project)
        return await self._entry_now(row.id)

    @handles(ResolveNotice)
    async def resolve_notice(self, request: ResolveNotice) -> InboxEntry:
        row = await self._open_row(request.id, "resolve")
        data = {"key": row.key, "id": row.id, "by": request.by or "a person"}
        await self._events.commit(EventKind.NOTICE_RESOLVED, data, run=row.notice.run, project=row.notice.project)
        return await self._entry_now(row.id)

    async def _open_row(self, notice_id: int, what: str) -> InboxRow:
        row = await self._inbox.get(notice_id)
        if row is None:
            raise CommandFailed("not_found", f"no notice #{notice_id} in the inbox (see `contexten notify inbox`)")
        if row.state == "resolved":
            raise CommandFailed("conflict", f"notice #{notice_id} is resolved already: nothing to {what}")
        return row

    async def _entry_now(self, notice_id: int) -> InboxEntry:
        row = await self._inbox.get(notice_id)
        assert row is not None  # rows are never deleted
        return self._inbox_entry(row)

    def _inbox_entry(self, row: InboxRow) -> InboxEntry:
        n = row.notice
        chain = self._keeper.chains.named(row.chain or "")
        lines = [InboxLine.model_validate(line) for line in row.history]
        return InboxEntry(id=row.id, key=row.key, title=n.title, body=n.body, severity=n.severity, kind=n.kind,
                          project=n.project, flow=n.flow, run=n.run, state=row.state, count=row.count,
                          chain=row.chain, step=row.taken, of=chain.total if chain else row.taken,
                          next_at=row.next_at, created_at=row.created_at, updated_at=row.updated_at,
                          history=lines)  # fmt: skip

    @handles(ExplainRoute)
    async def explain_route(self, request: ExplainRoute) -> list[RouteStep]:
        notice = Notice("", "", request.severity, request.kind, request.project, request.flow, labels=request.labels)
        return [RouteStep(receiver=d.receiver, route=d.route) for d in self._tree.deliveries(notice)]

    @handles(RetryNotice)
    async def retry_notice(self, request: RetryNotice) -> Requeued:
        row = await self._box.get(request.id)
        if row is None:
            raise CommandFailed("not_found", f"no notice #{request.id} in the outbox (see `contexten notify outbox`)")
        if row.state not in ("refused", "uncertain"):
            raise CommandFailed("conflict", f"notice #{row.id} is {row.state}: only refused or uncertain ones are")
        ids = await self._box.ids_like(row)
        data = {"id": row.id, "receiver": row.receiver, "requeued": ids}
        await self._events.commit(EventKind.NOTIFY_REQUEUED, data, writes=[outbox.requeued(row, self._clock.now())])
        worker = self._workers.get(row.receiver)
        if worker is not None:
            worker.wake()
        return Requeued(ids=ids)

    @handles(TryReceiver)
    async def try_receiver(self, request: TryReceiver) -> ReceiverTried:
        receiver = self._notify.receivers.get(request.receiver)
        if receiver is None:
            known = ", ".join(sorted(self._notify.receivers)) or "none is configured"
            raise CommandFailed("not_found", f"no receiver {request.receiver!r} (receivers: {known})")
        destination = self._destination(receiver)
        notice = Notice("contexten test message", f"A test of the {request.receiver} receiver: it works.", "info")
        try:
            answer = await destination.send(notice)
        except Exception as exc:  # what the destination answered is the point: reported, not raised
            return ReceiverTried(receiver=request.receiver, delivered=False, answer=redact(str(exc)))
        finally:
            await destination.close()
        return ReceiverTried(receiver=request.receiver, delivered=True, answer=answer or "ok")


class _Missing(Destination):
    """A receiver whose URL is not in the environment: every notice is refused, saying which variable."""

    def __init__(self, why: str) -> None:
        self._why = why

    async def send(self, notice: Notice) -> str:
        raise DeliveryRefused(self._why)


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(id=row.id, seq=row.seq, receiver=row.receiver, route=row.route, kind=row.notice.kind,
                       title=row.notice.title, severity=row.notice.severity, state=row.state,
                       attempts=row.attempts, created_at=row.created_at, next_at=row.next_at,
                       sent_at=row.sent_at, remote=row.remote, last_error=row.last_error)  # fmt: skip

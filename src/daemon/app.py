"""The daemon process, and the map of it: the platform, the slices built on it, and their lifecycle.

Startup → main loop → shutdown, after uvicorn's shape. `serve` opens the platform (lock, store, bus, event
log), `_build` wires every slice with exactly what it uses, `_run` starts them in order and waits for a
stop; the `finally` stops them in reverse order, each on its own, so an error in one never skips the rest.

    platform  lock · store · event log · bus · config · ledger · pinned projects
    slices    resilience → connectors → analysis → work → agents → delivery → health → projects → runs → daemon
    flows     declare what they need; the runs slice hands them exactly that
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiosqlite

from contexten import __version__
from contexten.common.clock import Clock, SystemClock
from contexten.common.errors import ConfigError
from contexten.common.event_kinds import EventKind
from contexten.common.paths import Paths
from contexten.common.protocol import DaemonInfo
from contexten.daemon.control import DaemonSlice
from contexten.daemon.flows import builtin_flows
from contexten.daemon.platform.bus import Bus
from contexten.daemon.platform.config import Config, changed_keys, load_config_and_text
from contexten.daemon.platform.config_watch import watch_config
from contexten.daemon.platform.control_lane import ControlLane
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.handle import DaemonHandle
from contexten.daemon.platform.ledger import EffectLedger
from contexten.daemon.platform.lifecycle import Slice
from contexten.daemon.platform.lock import InstanceLock, StoreLock
from contexten.daemon.platform.logs import setup_logging
from contexten.daemon.platform.process import watch_children_with_pidfd
from contexten.daemon.platform.projects import PinnedProjects, ProjectStore
from contexten.daemon.platform.router import Router
from contexten.daemon.platform.sdnotify import SystemdNotifier
from contexten.daemon.platform.store import backups
from contexten.daemon.platform.store.checkpointer import WalCheckpointer
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.platform.store.events import EventReader
from contexten.daemon.slices.agents.service import AgentPool, codegen_agents, command_agent
from contexten.daemon.slices.agents.slice import AgentsSlice
from contexten.daemon.slices.analysis.service import CodeAnalysis
from contexten.daemon.slices.analysis.slice import AnalysisSlice
from contexten.daemon.slices.analysis.store import ReportStore
from contexten.daemon.slices.analytics.slice import AnalyticsSlice, RunAnalytics
from contexten.daemon.slices.ci.ledger import FailureLedger
from contexten.daemon.slices.ci.slice import CiSlice
from contexten.daemon.slices.ci.test_history import TestHistory
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.connectors.slice import ConnectorsSlice
from contexten.daemon.slices.delivery.context import DeliveryContext
from contexten.daemon.slices.delivery.planning import AgentPlanner, OutlinePlanner, Planners
from contexten.daemon.slices.delivery.service import WorkStarter
from contexten.daemon.slices.delivery.slice import DeliverySlice
from contexten.daemon.slices.delivery.store import WorkStore
from contexten.daemon.slices.health.slice import HealthSlice
from contexten.daemon.slices.notify.digest import DigestSource
from contexten.daemon.slices.notify.port import LogNotifier
from contexten.daemon.slices.notify.slice import NotifySlice
from contexten.daemon.slices.projects.slice import ProjectsSlice
from contexten.daemon.slices.resilience.actions import recovery_actions
from contexten.daemon.slices.resilience.breaker_watch import BreakerWatch
from contexten.daemon.slices.resilience.breakers import BreakerRegistry
from contexten.daemon.slices.resilience.healing import Healer
from contexten.daemon.slices.resilience.recovery import RecoveryEngine
from contexten.daemon.slices.resilience.slice import ResilienceSlice
from contexten.daemon.slices.runs.flow import FlowPlatform, Provided
from contexten.daemon.slices.runs.runner import Runner
from contexten.daemon.slices.runs.scheduler import Scheduler
from contexten.daemon.slices.runs.slice import RunsSlice
from contexten.daemon.slices.runs.store import RunStore
from contexten.daemon.slices.runs.triggers import Triggers
from contexten.daemon.slices.security.ledger import FindingLedger
from contexten.daemon.slices.security.slice import SecuritySlice
from contexten.daemon.slices.work.items import WorkItems
from contexten.daemon.slices.work.slice import WorkSlice
from contexten.daemon.slices.work.store import SyncLog
from contexten.daemon.slices.work.sync import IssueSync
from contexten.daemon.slices.work.sync_service import SyncService

log = logging.getLogger("contexten.daemon")


class StartupError(Exception):
    """The daemon was put together wrongly (a flow needs a service nobody provides): a bug, said by name."""


class Daemon:
    def __init__(
        self, paths: Paths, config: Config, clock: Clock | None = None, config_text: str | None = None
    ) -> None:
        self.paths = paths
        self.config = config
        self.config_text = config_text  # what `config` was parsed from: the live watch starts from it
        self.clock = clock or SystemClock()
        self.instance = uuid.uuid4().hex[:12]
        self.started_at = self.clock.now()
        self._stop = asyncio.Event()
        self._systemd = SystemdNotifier()
        self.restart_reason: str | None = None
        # Why the daemon stopped on its own, if it did: it then exits non-zero, so systemd (Restart=on-failure)
        # starts it again and `systemctl status` shows the failure.
        self.failure: str | None = None
        self.slices: list[Slice] = []
        self.router = Router()
        self._events: EventLog | None = None
        self._projects: ProjectStore | None = None

    def info(self) -> DaemonInfo:
        return DaemonInfo(
            version=__version__,
            pid=os.getpid(),
            instance=self.instance,
            started_at=self.started_at,
            uptime_seconds=round(self.clock.now() - self.started_at, 3),
            home=str(self.paths.state_dir.parent if os.environ.get("CONTEXTEN_HOME") else self.paths.state_dir),
        )

    def request_stop(self, failure: str | None = None) -> None:
        if failure is not None and self.failure is None:
            self.failure = failure
        self._stop.set()

    def request_restart(self, reason: str) -> None:
        self.restart_reason = reason
        self._stop.set()

    def live_config(self) -> Config:
        return self.config

    # ---- startup ---------------------------------------------------------------------------------

    async def serve(self) -> None:
        watch_children_with_pidfd()
        lock = InstanceLock(self.paths.lock_file)
        lock.acquire()
        store_lock = StoreLock(self.paths.database)
        try:
            async with AsyncExitStack() as platform:
                restored = self._apply_staged_restore()
                store_lock.acquire()
                platform.callback(store_lock.release)  # after the store closes (stack order)
                db = await open_database(self.paths.database)
                platform.push_async_callback(db.close)
                bus = Bus(self.paths, self.router.refusals)
                bus.bind()
                platform.callback(bus.close)
                reader = EventReader(db)
                last_seq = await reader.last_seq()
                # After a restore, numbering continues above the old store's: no seq is ever used for two events.
                start_seq = max(last_seq, restored["previous_last_seq"]) if restored else last_seq
                events = EventLog(self.paths.database, bus.publish_events, self.clock, start_seq,
                                  on_failing=self._store_failing, checkpoints=False)  # fmt: skip
                checkpointer = WalCheckpointer(self.paths.database, lambda: events.published_seq)
                checkpointer.start()
                platform.push_async_callback(checkpointer.stop)  # after the event log's last write
                events.start()
                platform.push_async_callback(events.close)
                if restored:
                    await events.commit(EventKind.STORE_RESTORED, {**restored, "restored_last_seq": last_seq})
                await self._build(db, bus, events, reader, store_lock, restored=restored is not None)
                await self._run(bus, events)
        finally:
            lock.release()

    def _apply_staged_restore(self) -> dict[str, Any] | None:
        applied = backups.apply_staged_restore(self.paths.database, self.clock.now())
        if applied is None:
            return None
        kept, request = applied
        log.warning("restored the store from a staged backup; the previous store is kept at %s", kept)
        return {**request, "kept": str(kept), "previous_last_seq": _last_seq(kept)}

    async def _build(
        self,
        db: aiosqlite.Connection,
        bus: Bus,
        events: EventLog,
        reader: EventReader,
        store_lock: StoreLock,
        restored: bool = False,
    ) -> None:
        """Every slice, given exactly what it uses. The order of `self.slices` is the start order."""
        config, clock, paths = self.live_config, self.clock, self.paths
        projects = self._projects = ProjectStore(db)
        self._events = events
        pinned = PinnedProjects(await projects.all())
        events.add_listener(pinned.on_event)
        ledger = EffectLedger(db, events, clock)
        breakers = BreakerRegistry(events, clock, self.config)
        # Made before anything else that emits: from here on every event is routed to the outbox.
        notify = NotifySlice(events, db, clock, self.config, str(paths.config_file), breakers)
        flows = builtin_flows()
        run_store = RunStore(db)
        provided = Provided([])
        platform = FlowPlatform(config=config, events=events, clock=clock, ledger=ledger)
        runner = Runner(platform, run_store, projects, flows, provided, await run_store.max_id())

        hub = Connectors(config, db, events, clock, breakers, pinned)
        connectors = ConnectorsSlice(hub, events, pinned, paths.database, self.config)
        notifier = LogNotifier()
        actions = recovery_actions(
            runner, breakers, notifier, events, clock, lambda: self.config.recovery,
            lambda flow: spec.fallback if (spec := flows.get(flow)) else None, hub.tracker, ledger,
        )  # fmt: skip
        healer = Healer(RecoveryEngine(db, events, clock), actions, runner)
        watch = BreakerWatch(events, clock, self.config.breakers.alert_after_seconds)
        resilience = ResilienceSlice(breakers, healer, db, watch)
        code_analysis = CodeAnalysis(events, ReportStore(db), paths.analysis_cache, config)
        analysis = AnalysisSlice(code_analysis, pinned)
        sync = IssueSync(hub.tracker, hub.forge_of, events, clock, config)
        work = WorkSlice(
            sync, SyncService(sync, events, config, notifier, hub.team_owners), WorkItems(hub, connectors, SyncLog(db))
        )
        agents = AgentPool(config, {"command": command_agent, "codegen": codegen_agents(breakers)})
        work_root = paths.state_dir / "work"
        outline = OutlinePlanner()
        delivery = DeliverySlice(
            DeliveryContext(events, clock, config, hub, agents, notifier, work_root, code_analysis),
            WorkStore(db),
            Planners([outline, AgentPlanner(agents, work_root, outline)]),
        )
        health = HealthSlice(events, reader, clock, config, paths.state_dir)
        scheduler, triggers = Scheduler(runner.start, events, clock), Triggers(runner.start, run_store, events, clock)
        runs = RunsSlice(
            runner, run_store, flows, scheduler, triggers, self.config, str(paths.config_file), restored=restored
        )
        handle = DaemonHandle(paths.database, paths.events_endpoint, lambda: events.backlog, self.request_restart)
        daemon = DaemonSlice(
            self.info, self.request_stop, config, clock, events, reader, bus, projects, run_store, flows, health,
            breakers, hub, self._systemd,
            store_present=store_lock.still_ours,
            lane=lambda handlers: ControlLane(paths.lane_socket, paths.lane_endpoint, paths.database, handlers),
        )  # fmt: skip
        # What flows may ask for with ctx.use(); each flow's `needs` is checked against it here, not at run time.
        ci = CiSlice(FailureLedger(db, events, clock), TestHistory(db, events, clock), hub)
        security = SecuritySlice(FindingLedger(db, events, clock))
        analytics = AnalyticsSlice(RunAnalytics(db, clock, hub.budgets, lambda: events.backlog))
        starter = WorkStarter(delivery.start_work)
        provided.add(hub, analysis.service, healer, runner, breakers, sync, handle, DigestSource(db), ci.ledger,
                     ci.history, security.ledger, analytics.service, starter)  # fmt: skip
        for spec in flows.specs():
            missing = provided.missing(spec.needs)
            if missing:
                raise StartupError(f"flow {spec.name!r} needs {', '.join(k.__name__ for k in missing)}: not provided")
        self.slices = [
            resilience,
            notify,
            connectors,
            analysis,
            work,
            AgentsSlice(agents),
            delivery,
            ci,
            security,
            analytics,
            health,
            ProjectsSlice(projects, events, clock, db),
            runs,
            daemon,
        ]
        for slice_ in self.slices:
            self.router.add(slice_.name, slice_.handlers())
            slice_.on_crash(lambda where: self.request_stop(f"{where} crashed"))
        self.router.check_complete()

    # ---- main loop and shutdown ------------------------------------------------------------------

    async def _run(self, bus: Bus, events: EventLog) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        started: list[Slice] = []
        tasks: list[asyncio.Task[None]] = []
        try:
            for slice_ in self.slices:
                await slice_.start()
                started.append(slice_)
            tasks = [
                asyncio.create_task(bus.serve_commands(self.router.handle, self.router.refuse), name="commands"),
                asyncio.create_task(
                    watch_config(self.paths.config_file, self.config_text, self._apply_config, self._refuse_config),
                    name="config-watch",
                ),
                asyncio.create_task(self.router.refusals.run(), name="refusal-log"),
            ]
            for task in tasks:
                task.add_done_callback(self._died)
            await events.commit(
                EventKind.DAEMON_STARTED, {"pid": os.getpid(), "version": __version__, "instance": self.instance}
            )
            log.info("contexten %s ready (pid %d, home %s)", __version__, os.getpid(), self.paths.state_dir)
            pinned = len(await self._projects.all()) if self._projects is not None else 0
            self._systemd.ready(f"ready; {pinned} pinned projects")
            await self._stop.wait()
        finally:
            log.info("shutting down")
            self._systemd.stopping()
            for slice_ in reversed(started):
                await self._each(slice_, slice_.drain, "draining")
            events.emit(EventKind.DAEMON_STOPPING, {"pid": os.getpid()})
            await bus.drain()
            for task in tasks:
                task.remove_done_callback(self._died)
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for slice_ in reversed(started):
                await self._each(slice_, slice_.stop, "stopping")
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            log.info("stopped")

    async def _each(self, slice_: Slice, step: Callable[[], Awaitable[None]], doing: str) -> None:
        try:
            await step()
        except Exception:
            log.exception("%s the %s slice failed; going on with the others", doing, slice_.name)

    def _store_failing(self, why: str) -> None:
        """The store cannot be written: say so and stop, rather than spin (systemd restarts the daemon, and a
        store that is still unusable then stops start-up with its reason)."""
        log.critical("%s; stopping", why)
        self._systemd.notify(f"STATUS=stopping: {why}")
        self.request_stop(why)

    def _died(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed; stopping the daemon", task.get_name(), exc_info=task.exception())
            self.request_stop(f"{task.get_name()} failed")

    # ---- live configuration ----------------------------------------------------------------------

    async def _apply_config(self, new: Config) -> None:
        keys = changed_keys(self.config, new)
        if not keys:
            return
        sections = {_section_of(k) for k in keys}
        concerned = [s for s in self.slices if s.config_sections & sections]
        try:
            for slice_ in concerned:
                slice_.check(new)
        except ConfigError as exc:
            self._refuse_config(exc)
            return
        self.config = new
        logging.getLogger().setLevel(new.daemon.log_level.upper())
        took = []
        for slice_ in concerned:
            try:
                await slice_.reconfigure(new)
                took.append(slice_.name)
            except Exception as exc:
                log.exception("the %s slice could not take the edited config", slice_.name)
                self._emit(EventKind.CONFIG_ERROR, {"file": str(self.paths.config_file), "key": "",
                                    "message": f"{slice_.name}: {type(exc).__name__}: {exc}"})  # fmt: skip
        log.info("config reloaded: %s (taken by %s)", ", ".join(keys), ", ".join(took) or "no slice")
        self._emit(EventKind.CONFIG_RELOADED, {"changed": keys, "slices": took})

    def _emit(self, kind: EventKind, data: dict[str, Any]) -> None:
        if self._events is not None:
            self._events.emit(kind, data)

    def _refuse_config(self, exc: ConfigError) -> None:
        self._emit(EventKind.CONFIG_ERROR, {"file": exc.path, "key": exc.key, "message": str(exc)})


def _section_of(key: str) -> str:
    """'github.api_url' -> 'github'; 'schedules[0].cron' -> 'schedules'."""
    return key.split(".", 1)[0].split("[", 1)[0]


EXIT_FAILED = 1  # stopped on its own (store unwritable or gone, a core task died): systemd restarts it


def run_daemon(paths: Paths) -> int:
    """Entry point of `contexten daemon`. Returns the process exit code."""
    # Everything the daemon writes (store, backups, cache, logs, sockets) is for its user alone.
    os.umask(0o077)
    paths.ensure()
    _make_private(paths.state_dir)
    config, config_text = load_config_and_text(paths.config_file)  # a ConfigError names file and key
    log_file = os.environ.get("CONTEXTEN_LOG_FILE")  # set by `contexten up`; under systemd, journald
    setup_logging(config.daemon.log_level, Path(log_file) if log_file else None)
    daemon = Daemon(paths, config, config_text=config_text)
    asyncio.run(daemon.serve())
    if daemon.restart_reason:
        log.info("restarting: %s", daemon.restart_reason)
        SystemdNotifier().notify("RELOADING=1", f"STATUS=restarting: {daemon.restart_reason}")
        logging.shutdown()
        # Same pid: systemd (and `contexten up`) keep tracking the daemon across the restart.
        os.execv(sys.executable, [sys.executable, "-m", "contexten", "daemon"])
    if daemon.failure:
        log.error("stopped because %s", daemon.failure)
        return EXIT_FAILED
    return 0


def _make_private(state_dir: Path) -> None:
    """Files an older version left readable by others (the store, its WAL, backups) become 0600."""
    for path in [*state_dir.glob("*"), *state_dir.glob("backups/*")]:
        try:
            if path.is_file() and not path.is_symlink() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except OSError:
            continue
    backups_dir = state_dir / "backups"
    if backups_dir.is_dir() and not backups_dir.is_symlink():
        backups_dir.chmod(0o700)


def _last_seq(database: Path) -> int:
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        (seq,) = con.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    finally:
        con.close()
    return int(seq)

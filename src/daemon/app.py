"""The daemon process: startup, main loop, graceful shutdown (after uvicorn's shape)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import sys
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import aiosqlite

from contexten import __version__
from contexten.common.clock import Clock, SystemClock
from contexten.common.errors import ConfigError
from contexten.common.event_kinds import EventKind
from contexten.common.paths import Paths
from contexten.common.protocol import DaemonInfo, Heartbeat
from contexten.daemon.bus import Bus
from contexten.daemon.code_analysis import CodeAnalysis
from contexten.daemon.commands import CommandHandler
from contexten.daemon.config import Config, changed_keys, load_config
from contexten.daemon.config_watch import watch_config
from contexten.daemon.connectors.github.polling import GitHubPolling
from contexten.daemon.connectors.hub import Connectors
from contexten.daemon.engine.breakers import BreakerRegistry
from contexten.daemon.engine.healing import Healer
from contexten.daemon.engine.ledger import EffectLedger
from contexten.daemon.engine.recovery import RecoveryEngine
from contexten.daemon.engine.recovery_actions import recovery_actions
from contexten.daemon.eventlog import EventLog
from contexten.daemon.flows.base import Services
from contexten.daemon.flows.registry import FlowRegistry, builtin_flows
from contexten.daemon.health import AlertTracker, sample_system
from contexten.daemon.lock import InstanceLock
from contexten.daemon.logs import setup_logging
from contexten.daemon.notifier import LogNotifier
from contexten.daemon.runner import Runner
from contexten.daemon.scheduler import Scheduler, check_against_flows
from contexten.daemon.sdnotify import Notifier
from contexten.daemon.store import backups
from contexten.daemon.store.database import open_database
from contexten.daemon.store.queries import Queries
from contexten.daemon.sync.engine import IssueSync
from contexten.daemon.sync.service import SyncService
from contexten.daemon.tracker.polling import TrackerPolling
from contexten.daemon.triggers import Triggers
from contexten.daemon.work_items import WorkItems

log = logging.getLogger("contexten.daemon")
BUDGET_PUBLISH_SECONDS = 2.0


class Daemon:
    def __init__(self, paths: Paths, config: Config, clock: Clock | None = None) -> None:
        self.paths = paths
        self.config = config
        self.clock = clock or SystemClock()
        self.instance = uuid.uuid4().hex[:12]
        self.started_at = self.clock.now()
        self._stop = asyncio.Event()
        self._notifier = Notifier()
        self._alerts = AlertTracker()
        self.restart_reason: str | None = None

    def info(self) -> DaemonInfo:
        return DaemonInfo(
            version=__version__,
            pid=os.getpid(),
            instance=self.instance,
            started_at=self.started_at,
            uptime_seconds=round(self.clock.now() - self.started_at, 3),
            home=str(self.paths.state_dir.parent if os.environ.get("CONTEXTEN_HOME") else self.paths.state_dir),
        )

    def request_stop(self) -> None:
        self._stop.set()

    def request_restart(self, reason: str) -> None:
        self.restart_reason = reason
        self._stop.set()

    async def serve(self) -> None:
        lock = InstanceLock(self.paths.lock_file)
        lock.acquire()
        db: aiosqlite.Connection | None = None
        bus: Bus | None = None
        try:
            restored = self._apply_staged_restore()
            db = await open_database(self.paths.database)
            bus = Bus(self.paths)
            bus.bind()
            await self._main(db, bus, restored)
        finally:
            if bus is not None:
                bus.close()
            if db is not None:
                await db.close()
            lock.release()

    def _apply_staged_restore(self) -> dict[str, Any] | None:
        kept = backups.apply_staged_restore(self.paths.database, self.clock.now())
        if kept is None:
            return None
        log.warning("restored the store from a staged backup; the previous store is kept at %s", kept)
        return {"kept": str(kept), "previous_last_seq": _last_seq(kept)}

    async def _main(self, db: aiosqlite.Connection, bus: Bus, restored: dict[str, Any] | None) -> None:
        queries = Queries(db)
        last_seq = await queries.last_seq()
        # After a restore, numbering continues above the old store's: no seq is ever used for two events.
        start_seq = max(last_seq, restored["previous_last_seq"]) if restored else last_seq
        events = EventLog(db, bus.publish_events, self.clock, start_seq)
        events.start()
        services = Services(
            config=lambda: self.config,
            events=events,
            queries=queries,
            clock=self.clock,
            database=self.paths.database,
            events_endpoint=self.paths.events_endpoint,
            ledger=EffectLedger(db, events, self.clock),
            breakers=BreakerRegistry(events, self.clock, self.config),
            request_restart=self.request_restart,
        )
        if restored:
            await events.commit(EventKind.STORE_RESTORED, {**restored, "restored_last_seq": last_seq})
        await services.breakers.load(db)
        self.breakers = services.breakers
        flows = builtin_flows()
        self.runner = runner = Runner(services, flows, await queries.max_run_id())
        services.control = runner
        connectors = services.connectors = Connectors(lambda: self.config, db, events, self.clock, services.breakers)
        await connectors.open(self.paths.database)
        notifier = LogNotifier()
        engine = RecoveryEngine(db, events, self.clock)
        actions = recovery_actions(
            runner, services.breakers, notifier, events, self.clock, lambda: self.config.recovery,
            lambda flow: spec.fallback if (spec := flows.get(flow)) else None, connectors.tracker(), services.ledger,
        )  # fmt: skip
        services.healer = Healer(engine, actions, queries)
        check_against_flows(self.config, flows, str(self.paths.config_file))
        scheduler = Scheduler(runner.start, events, self.clock)
        scheduler.configure(self.config.schedules)
        triggers = Triggers(runner.start, queries, events, self.clock)
        triggers.configure(self.config.triggers)
        polling = GitHubPolling(connectors.github, events, lambda: self.config) if connectors.github else None
        if polling is not None:
            polling.start(await queries.projects())
        issue_polling = None
        if connectors.linear is not None and self.config.tracker.kind == "linear":
            issue_polling = TrackerPolling(connectors.linear_tracker(), events, self.config.linear_interval)
        analysis = services.analysis = CodeAnalysis(events, queries, self.paths.analysis_cache, lambda: self.config)

        def pins_changed() -> None:
            if issue_polling is not None:
                issue_polling.watch(connectors.team_owners())
            analysis.follow(connectors.pinned.values())

        connectors.follow_pins(await queries.projects(), pins_changed)
        analysis.follow(connectors.pinned.values())
        if issue_polling is not None:
            issue_polling.watch(connectors.team_owners())
        services.sync = IssueSync(connectors.tracker, connectors.forge_of, events, self.clock, lambda: self.config)
        sync = SyncService(services.sync, events, lambda: self.config, notifier, connectors.team_owners)
        resumed = await runner.recover()
        if resumed:
            log.info("resumed %d interrupted run(s): %s", len(resumed), ", ".join(map(str, resumed)))
        work = WorkItems(queries, connectors, polling, issue_polling)
        handler = CommandHandler(services, runner, flows, self.info, self.request_stop, work)

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)

        tasks = [
            self._spawn(bus.serve_commands(handler.handle, handler.refuse), "commands"),
            self._spawn(self._heartbeat(bus, events), "heartbeat"),
            self._spawn(self._sample_health(events), "health-sampler"),
            self._spawn(self._watch_config(events, runner, flows, scheduler, triggers), "config-watch"),
            self._spawn(scheduler.run(), "scheduler"),
            self._spawn(sync.run(), "issue-sync"),
            self._spawn(sync.watch_stale(), "stale-issues"),
            self._spawn(self._publish_budgets(events, connectors), "budgets"),
        ]
        if self._notifier.watchdog_interval:
            tasks.append(self._spawn(self._watchdog(self._notifier.watchdog_interval), "watchdog"))

        await events.commit(
            EventKind.DAEMON_STARTED, {"pid": os.getpid(), "version": __version__, "instance": self.instance}
        )
        log.info("contexten %s ready (pid %d, home %s)", __version__, os.getpid(), self.paths.state_dir)
        self._notifier.ready(f"ready; {len(await queries.projects())} pinned projects")

        await self._stop.wait()

        log.info("shutting down")
        self._notifier.stopping()
        timeout = self.config.daemon.shutdown_timeout_seconds
        await runner.shutdown(timeout)
        events.emit(EventKind.DAEMON_STOPPING, {"pid": os.getpid()})
        await bus.drain()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if polling is not None:
            await polling.close()
        if issue_polling is not None:
            await issue_polling.close()
        await connectors.close()
        await analysis.close()
        await events.close()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        log.info("stopped")

    async def _publish_budgets(self, events: EventLog, connectors: Connectors) -> None:
        """A `connector.budget` event whenever a rate budget moved (checked every few seconds), so the
        console's health view shows what is left without asking."""
        last: dict[tuple[str, str], tuple[int, int]] = {}
        while True:
            await asyncio.sleep(BUDGET_PUBLISH_SECONDS)
            for budget in connectors.budgets():
                key, now = (budget.connector, budget.resource), (budget.limit, budget.remaining)
                if last.get(key) != now:
                    last[key] = now
                    events.emit(EventKind.CONNECTOR_BUDGET, budget.model_dump())

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        async def guarded() -> None:
            # A background loop that dies takes the daemon down with a clear log, rather than leaving
            # a process that looks alive and does nothing (systemd restarts it).
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed; stopping the daemon", name)
                self.request_stop()

        return asyncio.create_task(guarded(), name=name)

    async def _heartbeat(self, bus: Bus, events: EventLog) -> None:
        while True:
            beat = Heartbeat(instance=self.instance, seq=events.published_seq, ts=self.clock.now())
            bus.publish_heartbeat(beat.model_dump_json().encode())
            await asyncio.sleep(self.config.daemon.heartbeat_seconds)

    async def _sample_health(self, events: EventLog) -> None:
        sample_system(self.clock.now(), self.paths.state_dir)  # primes psutil's CPU counter
        while True:
            await asyncio.sleep(self.config.health.sample_interval_seconds)
            sample = await asyncio.to_thread(sample_system, self.clock.now(), self.paths.state_dir)
            events.emit(EventKind.HEALTH_METRICS, sample.model_dump())
            for alert in self._alerts.update(sample, self.config.health):
                events.emit(EventKind.ALERT, {**alert, "source": "sampler"})

    async def _watch_config(
        self, events: EventLog, runner: Runner, flows: FlowRegistry, scheduler: Scheduler, triggers: Triggers
    ) -> None:
        def apply(new: Config) -> None:
            keys = changed_keys(self.config, new)
            if not keys:
                return
            try:
                check_against_flows(new, flows, str(self.paths.config_file))
            except ConfigError as exc:
                refuse(exc)
                return
            self.config = new
            scheduler.configure(new.schedules)
            triggers.configure(new.triggers)
            self.breakers.config = new
            logging.getLogger().setLevel(new.daemon.log_level.upper())
            log.info("config reloaded: %s", ", ".join(keys))
            events.emit(EventKind.CONFIG_RELOADED, {"changed": keys})
            asyncio.get_running_loop().create_task(runner.bulkheads.limits_changed())

        def refuse(exc: ConfigError) -> None:
            events.emit(EventKind.CONFIG_ERROR, {"file": exc.path, "key": exc.key, "message": str(exc)})

        await watch_config(self.paths.config_file, apply, refuse)

    async def _watchdog(self, interval: float) -> None:
        while True:
            self._notifier.watchdog()
            await asyncio.sleep(interval)


def run_daemon(paths: Paths) -> int:
    """Entry point of `contexten daemon`. Returns the process exit code."""
    paths.ensure()
    config = load_config(paths.config_file)  # ConfigError propagates to the CLI, which names file and key
    setup_logging(config.daemon.log_level)
    daemon = Daemon(paths, config)
    asyncio.run(daemon.serve())
    if daemon.restart_reason:
        log.info("restarting: %s", daemon.restart_reason)
        Notifier().notify("RELOADING=1", f"STATUS=restarting: {daemon.restart_reason}")
        logging.shutdown()
        # Same pid: systemd (and `contexten up`) keep tracking the daemon across the restart.
        os.execv(sys.executable, [sys.executable, "-m", "contexten", "daemon"])
    return 0


def _last_seq(database: Path) -> int:
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        (seq,) = con.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
    finally:
        con.close()
    return int(seq)

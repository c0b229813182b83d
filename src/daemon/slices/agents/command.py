"""The `command` agent: any coding CLI (Claude Code, Codex, Gemini, aider, a script) run in the attempt's
git worktree.

The process gets cwd = the worktree, stdin from /dev/null, its own process group, and its output in the
attempt's log file (not a pipe: a log file outlives the daemon, so an agent still at work after a daemon
restart can be adopted and followed). It is stopped, the whole group, when it runs past
`timeout_seconds`, writes nothing for `idle_timeout_seconds`, or fills more log than `max_log_bytes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass

import psutil

from contexten.daemon.platform.process import KILL_GRACE_SECONDS, stop_group
from contexten.daemon.platform.secrets import child_environment
from contexten.daemon.slices.agents.port import Agent, AgentEnd, AgentError, AgentInfo, AgentStatus, AgentTask

MARKER_VARIABLE = "CONTEXTEN_MARKER"
# How often the limits (timeout, idle, log size) are looked at while an agent works.
LIMITS_EVERY_SECONDS = 0.25


@dataclass(frozen=True)
class CommandSettings:
    command: tuple[str, ...]
    timeout_seconds: float
    idle_timeout_seconds: float
    max_log_bytes: int
    max_concurrent: int
    env: Mapping[str, str]


@dataclass(frozen=True)
class _Ref:
    pid: int
    created: float  # the process's start time: a pid the kernel gave to someone else is not ours
    started_at: float
    log: str

    def dump(self) -> str:
        return json.dumps({"pid": self.pid, "created": self.created, "started_at": self.started_at, "log": self.log})

    @staticmethod
    def load(ref: str) -> _Ref:
        doc = json.loads(ref)
        return _Ref(int(doc["pid"]), float(doc["created"]), float(doc["started_at"]), str(doc["log"]))


def fill(argv: tuple[str, ...], task: AgentTask) -> list[str]:
    values = {
        "{prompt_file}": task.prompt_file,
        "{prompt}": task.prompt,
        "{issue}": task.issue,
        "{worktree}": task.worktree or "",
        "{result_file}": task.result_file,
    }
    out = []
    for arg in argv:
        for placeholder, value in values.items():
            arg = arg.replace(placeholder, value)
        out.append(arg)
    return out


class CommandAgent(Agent):
    kind = "command"
    local = True

    def __init__(self, name: str, settings: CommandSettings) -> None:
        self.name = name
        self.settings = settings
        self._children: dict[int, asyncio.subprocess.Process] = {}

    def info(self) -> AgentInfo:
        binary = self.settings.command[0] if self.settings.command else ""
        found = bool(binary) and (shutil.which(binary) is not None)
        problem = "" if found else (f"its command {binary!r} is not found on PATH" if binary else "it has no command")
        return AgentInfo(self.name, self.kind, True, self.settings.max_concurrent, found, problem)

    async def start(self, task: AgentTask) -> str:
        if task.worktree is None:
            raise AgentError(self.name, "a command agent works in a local worktree; this project has none", True)
        argv = fill(self.settings.command, task)
        env = child_environment(
            {
                **self.settings.env,
                "CONTEXTEN_PROMPT_FILE": task.prompt_file,
                "CONTEXTEN_ISSUE": task.issue,
                "CONTEXTEN_ISSUE_KIND": task.kind,
                "CONTEXTEN_ATTEMPT": str(task.attempt),
                "CONTEXTEN_RESULT_FILE": task.result_file,
                "CONTEXTEN_WORKTREE": task.worktree,
                "CONTEXTEN_BRANCH": task.branch or "",
                MARKER_VARIABLE: task.marker,
            }
        )
        log = open(task.log_file, "ab")  # noqa: SIM115, ASYNC230 - a quick local open, handed to the child
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=task.worktree,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise AgentError(self.name, f"cannot run {argv[0]!r}: {exc.strerror or exc}", True) from None
        finally:
            log.close()
        self._children[proc.pid] = proc
        try:
            created = psutil.Process(proc.pid).create_time()
        except psutil.Error:
            created = 0.0  # it already ended: wait() reads its exit from the child handle
        return _Ref(proc.pid, created, time.time(), task.log_file).dump()

    async def wait(self, ref: str, budget: float) -> AgentStatus:
        r = _Ref.load(ref)
        child = self._children.get(r.pid)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, budget)
        while True:
            step = min(LIMITS_EVERY_SECONDS, max(0.0, deadline - loop.time()))
            if child is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(child.wait(), step)
                if child.returncode is not None:
                    self._children.pop(r.pid, None)
                    code = child.returncode
                    return AgentStatus(AgentEnd.EXITED if code == 0 else AgentEnd.FAILED, f"exited with {code}", code)
            elif not _alive(r):
                # An adopted agent ended: its exit code is its parent's to read, not ours; its work speaks.
                return AgentStatus(AgentEnd.EXITED, "ended while adopted (exit code unknown)")
            else:
                await asyncio.sleep(step)  # not our child: nothing to wait on but time
            stopped = self._limits(r)
            if stopped is not None:
                await self.cancel(ref)
                return stopped
            if loop.time() >= deadline:
                return AgentStatus(AgentEnd.RUNNING)

    def _limits(self, r: _Ref) -> AgentStatus | None:
        s = self.settings
        now = time.time()
        if now - r.started_at > s.timeout_seconds:
            return AgentStatus(AgentEnd.TIMED_OUT, f"ran past its timeout of {s.timeout_seconds:g}s; stopped")
        try:
            info = os.stat(r.log)
        except OSError:
            return None
        if info.st_size > s.max_log_bytes:
            return AgentStatus(
                AgentEnd.FLOODED,
                f"wrote {info.st_size} bytes of output, more than the {s.max_log_bytes} its log may hold; stopped",
            )
        if now - max(info.st_mtime, r.started_at) > s.idle_timeout_seconds:
            return AgentStatus(
                AgentEnd.STALLED, f"wrote nothing for {s.idle_timeout_seconds:g}s (idle_timeout_seconds); stopped"
            )
        return None

    async def cancel(self, ref: str) -> None:
        r = _Ref.load(ref)
        child = self._children.pop(r.pid, None)
        if child is not None:
            await stop_group(child)
        elif _alive(r):
            with contextlib.suppress(psutil.Error):
                await _stop_adopted(r.pid, psutil.Process(r.pid))

    async def adopt(self, marker: str, ref: str | None) -> str | None:
        if ref is not None and _alive(_Ref.load(ref)):
            return ref
        for proc in _with_marker(marker):
            # Started, but its ref was never stored (or it is a straggler of a stopped attempt): not ours.
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                await _stop_adopted(os.getpgid(proc.pid), proc)
        return None

    async def close(self) -> None:
        self._children.clear()  # the agents keep running: the next daemon adopts them


def _alive(r: _Ref) -> bool:
    try:
        proc = psutil.Process(r.pid)
        return abs(proc.create_time() - r.created) < 0.5 and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _with_marker(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.environ().get(MARKER_VARIABLE) == marker:
                found.append(proc)
    return found


async def _stop_adopted(pgid: int, leader: psutil.Process) -> None:
    """`stop_group` for a group whose leader is not our child (adopted after a restart): its end is waited
    for through psutil, then the group gets SIGKILL either way."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(psutil.Error):
        await asyncio.to_thread(leader.wait, KILL_GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)

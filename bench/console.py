"""The console as a person meets it, in a real terminal: launch to the first frame with data, and a key to
the frame that answers it, against a bare Textual app with a DataTable of as many rows, in the same run.

    python bench/console.py [--runs 5000] [--issues 10000] [--presses 40]

Both programs run on a pseudo-terminal this script reads, as a terminal would: it answers Textual's
question about synchronised output, so every frame ends with the marker that says it is complete, and a
key's latency is the time from writing the key to the end of the next frame. The console talks to a real
daemon holding `--runs` runs (created while the console is open, so its run list has them all) and a
local project with `--issues` issues.

Issue 18's goals: down-key repaint within 1.5x of the bare table; first paint with data < 1.3x a bare
app; a 10k-issue project opens in under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import re
import statistics
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

from real_daemon import real_daemon  # type: ignore[import-not-found]

SYNC_END = b"\x1b[?2026l"
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_SUPPORTED = b"\x1b[?2026;1$y"
DOWN = b"\x1b[B"
COLS, ROWS = 160, 48

BARE = """
import sys
from textual.app import App
from textual.widgets import DataTable
N = int(sys.argv[1])
class Bare(App):
    def compose(self):
        yield DataTable()
    def on_mount(self):
        table = self.query_one(DataTable)
        table.cursor_type = "row"
        table.add_columns("run", "flow", "project", "state", "took")
        table.add_rows([(f"row-{i:05d}", "synthetic", "-", "completed", f"{i % 97}ms") for i in range(N)])
        table.focus()
Bare().run()
"""


class Terminal:
    """A program on a pseudo-terminal, its output read with the time each chunk arrived."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.started = time.monotonic()
        self._proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True,
                                      env={**env, "TERM": "xterm-256color", "COLUMNS": str(COLS),
                                           "LINES": str(ROWS)}, start_new_session=True)  # fmt: skip
        os.close(slave)
        self._fd = master
        self._out = bytearray()
        self._frames: list[tuple[float, int]] = []  # (time, offset of the frame's end in _out)
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            now = time.monotonic()
            with self._changed:
                start = max(0, len(self._out) - len(SYNC_END))
                self._out += chunk
                if SYNC_QUERY in self._out[start:]:
                    os.write(self._fd, SYNC_SUPPORTED)
                at = self._out.find(SYNC_END, start)
                while at != -1:
                    self._frames.append((now, at))
                    at = self._out.find(SYNC_END, at + 1)
                self._changed.notify_all()

    def frame_with(self, text: bytes, timeout: float = 120, after: float = 0.0) -> float:
        """The time of the end of the first frame (ending after `after`) whose bytes include `text`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                begin = 0
                for when, end in self._frames:
                    if when > after and text in self._out[begin:end]:
                        return when
                    begin = end
                if not self._changed.wait(max(0.0, deadline - time.monotonic())):
                    raise SystemExit(f"no frame showed {text!r} within {timeout:g}s")

    def settled(self, quiet: float = 1.5, timeout: float = 600) -> float:
        """Wait until no frame has come for `quiet` seconds (the program has caught up); returns when."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                last = self._frames[-1][0] if self._frames else self.started
                left = last + quiet - time.monotonic()
                if left <= 0:
                    return last
                if time.monotonic() > deadline:
                    raise SystemExit(f"still drawing after {timeout:g}s")
                self._changed.wait(left)

    def press(self, key: bytes, timeout: float = 30) -> float:
        """Seconds from writing `key` to the end of the next frame."""
        with self._changed:
            seen = len(self._frames)
            sent = time.monotonic()
            os.write(self._fd, key)
            if not self._changed.wait_for(lambda: len(self._frames) > seen, timeout):
                raise SystemExit(f"no frame after {key!r} within {timeout:g}s")
            return self._frames[seen][0] - sent

    def close(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        os.close(self._fd)


def key_latencies(term: Terminal, presses: int, details: list[bytes] | None = None) -> tuple[list[float], list[float]]:
    """Each down key's time to its next frame; with `details` (what the n-th press should bring up), also
    its time to the first frame that shows it."""
    out, shown = [], []
    for n in range(presses):
        sent = time.monotonic()
        out.append(term.press(DOWN) * 1000)
        if details is not None:
            shown.append((term.frame_with(details[n], after=sent) - sent) * 1000)
        time.sleep(0.05)  # a person's pace between keys: each press meets a settled screen
    return out, shown


def bare(rows: int, presses: int) -> tuple[float, list[float]]:
    term = Terminal([sys.executable, "-c", BARE, str(rows)], dict(os.environ))
    try:
        first = term.frame_with(b"row-00001") - term.started
        return first, key_latencies(term, presses)[0]
    finally:
        term.close()


# ---- the console against a real daemon --------------------------------------------------------------


def git_repo(root: Path) -> Path:
    repo = root / "repo"
    repo.mkdir(parents=True)
    (repo / "app.py").write_text("def main():\n    return 1\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True)
    return repo


async def fill(home: Path, runs: int, issues: int, project: str | None) -> None:
    from contexten.client.connection import DaemonClient
    from contexten.common.paths import resolve_paths
    from contexten.common.protocol import CreateIssue, StartRun

    client = DaemonClient(resolve_paths({"CONTEXTEN_HOME": str(home)}), timeout=120)
    gate = asyncio.Semaphore(8)  # the daemon's in-flight limit per client

    async def run() -> None:
        async with gate:
            await client.call(StartRun(flow="synthetic", params={"steps": 1, "step_ms": 0}))

    async def issue(n: int) -> None:
        async with gate:
            await client.call(CreateIssue(project=project or "", title=f"issue number {n}"))

    try:
        await asyncio.gather(*(run() for _ in range(runs)), *(issue(n) for n in range(issues)))
    finally:
        await client.aclose()


def first_paints(repeats: int) -> tuple[list[float], list[float]]:
    """First paint with data, paired: a bare app with 50 rows, then a console whose snapshot holds 50 runs,
    `repeats` times in turn (so a busy moment of the machine falls on both)."""
    bare_times, console_times = [], []
    with real_daemon("[daemon]\nmax_concurrent_workflows = 8\n", "cxf-") as daemon:
        repo = git_repo(daemon.home)
        pinned = subprocess.run([sys.executable, "-m", "contexten", "pin", str(repo), "--json"], env=daemon.env,
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        found = re.search(r'"id":"([^"]+)"', pinned)
        assert found is not None, pinned
        asyncio.run(fill(daemon.home, 50, 0, None))
        for _ in range(repeats):
            bare_times.append(bare(50, 0)[0])
            term = Terminal([sys.executable, "-m", "contexten", "tui"], daemon.env)
            try:
                console_times.append(term.frame_with(found.group(1).encode()) - term.started)
            finally:
                term.close()
    return bare_times, console_times


def console(runs: int, issues: int, presses: int) -> dict[str, object]:
    with real_daemon("[daemon]\nmax_concurrent_workflows = 8\n", "cxc-") as daemon:
        return _console(daemon.home, daemon.env, runs, issues, presses)


def _console(home: Path, env: dict[str, str], runs: int, issues: int, presses: int) -> dict[str, object]:
    term: Terminal | None = None
    try:
        repo = git_repo(home)
        pinned = subprocess.run([sys.executable, "-m", "contexten", "pin", str(repo), "--json"], env=env,
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        found = re.search(r'"id":"([^"]+)"', pinned)
        assert found is not None, pinned
        project = found.group(1)
        asyncio.run(fill(home, 0, issues, project))
        # The runs are made while the console is open, so its run list holds them all; the keys are measured on that.
        term = Terminal([sys.executable, "-m", "contexten", "tui"], env)
        term.frame_with(project.encode())  # its project listed
        asyncio.run(fill(home, runs, 0, None))
        while True:  # every run done, so the keys meet a console with nothing else to do
            status = subprocess.run([sys.executable, "-m", "contexten", "status", "--json"], env=env,
                                    capture_output=True, text=True).stdout  # fmt: skip
            if f'"COMPLETED":{runs}' in status:
                break
            time.sleep(0.2)  # the runs' own time, not measured
        term.frame_with(f"#{runs}".encode())  # the last run drawn
        caught_up = term.settled() - term.started  # and every event after it: nothing more to draw
        # The n-th press highlights run #(runs - n); its timeline's head reads "#<id> synthetic".
        keys, details = key_latencies(term, presses, [f"#{runs - n - 1} synthetic".encode() for n in range(presses)])
        sent = time.monotonic()
        os.write(term._fd, b"i")  # the highlighted project's issues
        opened = term.frame_with(b"issue number") - sent
        return {"keys": keys, "details": details, "issues": opened, "caught_up": caught_up}
    finally:
        if term is not None:
            term.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--issues", type=int, default=10000)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5, help="paired first paints (min and median shown)")
    parser.add_argument("--first-only", action="store_true", help="measure the first paints only")
    args = parser.parse_args()
    # An installed contexten has its bytecode compiled (pip does it); a checkout run with
    # PYTHONDONTWRITEBYTECODE would compile every module at each start and measure that instead.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).parents[1] / "src")],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; a {COLS}x{ROWS} terminal")
    # First paint: a bare app with the table the console first shows (the snapshot's 50 runs).
    bare_firsts, firsts = first_paints(args.repeats)
    bare_median, median = statistics.median(bare_firsts), statistics.median(firsts)
    print(f"first paint with data (50 rows), {args.repeats} pairs: bare app min {min(bare_firsts) * 1000:.0f} / "
          f"median {bare_median * 1000:.0f} ms, console min {min(firsts) * 1000:.0f} / median {median * 1000:.0f} ms "
          f"({median / bare_median:.2f} x of medians; target < 1.3 x)")  # fmt: skip
    if args.first_only:
        return 0
    # Keys: a bare table with as many rows as the console's run list has by then.
    _, bare_keys = bare(args.runs, args.presses)
    seen = console(args.runs, args.issues, args.presses)
    keys: list[float] = seen["keys"]  # type: ignore[assignment]

    def row(name: str, values: list[float]) -> str:
        p90 = sorted(values)[int(len(values) * 0.9) - 1]
        return f"  {name:<28} p50 {statistics.median(values):7.1f} ms   p90 {p90:7.1f} ms"

    print(
        f"{args.runs} runs made while it watched: drawn up to the last event {float(seen['caught_up']):.1f} s "  # type: ignore[arg-type]
        "after its start"
    )
    print(f"down key to its frame, {args.runs} rows:")
    print(row("bare DataTable", bare_keys))
    print(row("console dashboard", keys))
    print(f"  console / bare = {statistics.median(keys) / statistics.median(bare_keys):.2f} x   (target <= 1.5 x)")
    print(row("console, the run's timeline", seen["details"]))  # type: ignore[arg-type]
    print(
        f"{args.issues} issues: key to the first frame with issues {float(seen['issues']) * 1000:.0f} ms "  # type: ignore[arg-type]
        "(target < 1 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

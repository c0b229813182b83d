"""Crash test of the Start Flow: SIGKILL the daemon at random moments while Start Flows plan, file issues,
run agents, validate and merge, then check that nothing was repeated or lost.

    python scripts/crash_start_flow.py [--flows 4] [--kills 12] [--seed 1] [--keep]

A real daemon in a temporary home, a real git repository pinned as a local project, the local tracker and
the local forge, and the scripted `good` command agent (tests/agents/scripted_agent.py), each attempt
held for a random while. Each flow has two
components, each writing its own file. After the kills, every flow must complete, and:
  issues: one main issue per flow, no two sub-issues of a main with the same title;
  comments: no issue carries the same comment twice; relations: none twice;
  pull requests: one per branch; merges: one merge commit per implementation item, each file on main once;
  agents: no agent process left running; worktrees: none left behind;
  the store: no gap in the event seq, PRAGMA integrity_check ok.
Prints each figure and exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))  # the repository: the test suite's git helpers
from crashtest import Daemon
from tests.integration.start_flow_helpers import ENV as GIT_ENV
from tests.integration.start_flow_helpers import git, make_repo

from contexten.client.connection import DaemonClient
from contexten.common.errors import ContextenError
from contexten.common.protocol import PinProject
from contexten.common.protocol.delivery import ListWork, StartWork

AGENT = Path(__file__).parents[1] / "tests" / "agents" / "scripted_agent.py"
ENDED = {"completed", "failed", "cancelled", "escalated"}


def config(repo: Path, hold: Path) -> str:
    return f"""
[daemon]
heartbeat_seconds = 0.5
shutdown_timeout_seconds = 2
[health]
sample_interval_seconds = 1
[agents]
max_concurrent = 4
[agents.good]
kind = "command"
command = {json.dumps([sys.executable, str(AGENT), "good", "--hold-byte"])}
env = {{ HOLD_FILE = "{hold}" }}
[start_flow]
agent = "good"
[projects.repo]
test_command = ["sh", "-c", "! grep -rq BROKEN --include=*.txt ."]
"""


def requirements(n: int) -> str:
    return (f"# Flow {n}\nTwo files.\n\n## First of {n}\nWRITE f{n}a.txt: a{n}\nAccept: `grep -q a{n} f{n}a.txt`\n\n"
            f"## Second of {n}\nWRITE f{n}b.txt: b{n}\n")  # fmt: skip


async def call(daemon: Daemon, request: object) -> object:
    client = DaemonClient(daemon.paths, timeout=5.0)
    try:
        return await client.call(request)  # type: ignore[arg-type]
    finally:
        await client.aclose()


async def start_flows(daemon: Daemon, numbers: list[int]) -> list[int]:
    """Starts each flow with its own key; a start cut off by a kill is sent again after the restart."""
    started = []
    for n in numbers:
        try:
            flow = await call(daemon, StartWork(project="repo", requirements=requirements(n), key=f"crash-{n}"))
            started.append(n)
            del flow
        except ContextenError:
            break  # the daemon is being killed under us; the rest go after the restart
    return started


async def wait_all_ended(daemon: Daemon, count: int, timeout: float) -> list[dict[str, object]]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            flows = await call(daemon, ListWork(limit=500))
        except ContextenError:
            flows = None
        if flows is not None:
            docs = [f.model_dump(mode="json") for f in flows]  # type: ignore[attr-defined]
            if len(docs) == count and all(d["state"] in ENDED for d in docs):
                return docs
        if time.monotonic() > deadline:
            raise SystemExit(f"flows unfinished after {timeout:.0f} s: {docs if flows is not None else 'no answer'}")
        await asyncio.sleep(0.2)


def agents_left(home: Path) -> int:
    left = 0
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            if str(AGENT) in " ".join(proc.info["cmdline"] or []) and str(home) in json.dumps(proc.info["environ"]):
                left += 1
        except (psutil.Error, TypeError):
            continue
    return left


def analyse(db: Path, repo: Path, flows: list[dict[str, object]], home: Path) -> dict[str, object]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
    seqs = [r[0] for r in con.execute("SELECT seq FROM events ORDER BY seq")]
    gaps = sum(1 for a, b in itertools.pairwise(seqs) if b != a + 1)
    mains = Counter(r[0] for r in con.execute("SELECT title FROM tracker_issues WHERE parent_id IS NULL"))
    children = Counter(con.execute("SELECT parent_id, title FROM tracker_issues WHERE parent_id IS NOT NULL"))
    comments = Counter(con.execute("SELECT issue_id, body FROM tracker_comments"))
    heads = Counter(r[0] for r in con.execute("SELECT head FROM local_pull_requests WHERE project = 'repo'"))
    interrupted = {(json.loads(d)["flow"], json.loads(d)["item"]["id"], json.loads(d)["item"]["attempt"])
                   for (d,) in con.execute("SELECT data FROM events WHERE kind = 'work.item'")
                   if json.loads(d)["item"]["failure"] == "interrupted"}  # fmt: skip
    con.close()
    implementations = sum(1 for f in flows for i in f["items"] if i["kind"] == "implementation")  # type: ignore[attr-defined]
    merges = git(repo, "log", "--merges", "--format=%H", "main").split()
    files = [line for line in git(repo, "ls-tree", "--name-only", "main").split() if line.startswith("f")]
    expected_files = {f"f{n}{part}.txt" for f in flows for n in [int(str(f["title"]).split()[1])] for part in "ab"}
    return {
        "flows": Counter(str(f["state"]) for f in flows),
        "duplicate_main_issues": sum(n - 1 for title, n in mains.items() if title.startswith("Flow ") and n > 1),
        "duplicate_sub_issues": sum(n - 1 for n in children.values() if n > 1),
        "duplicate_comments": sum(n - 1 for n in comments.values() if n > 1),
        "duplicate_pull_requests": sum(n - 1 for n in heads.values() if n > 1),
        "merges": len(merges), "implementations": implementations,
        "missing_files": len(expected_files - set(files)),
        "agents_left": agents_left(home), "interrupted": len(interrupted),
        "adopted": (home / "daemon.log").read_text().count("adopted the agent of item"),
        "worktrees_left": git(repo, "worktree", "list").count("\n") - 1,
        "seq_gaps": gaps, "integrity": integrity,
    }  # fmt: skip


async def main_async(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="cxs-", dir="/tmp"))
    repo = make_repo(home)
    hold = home / "hold"
    os.mkfifo(hold)
    # Held open for writing here, the FIFO lets one agent go on per byte: agents take a while, at random,
    # so the kills land while they are at work (the next daemon must adopt them) and while they are not.
    valve = os.open(hold, os.O_RDWR | os.O_NONBLOCK)
    (home / "config.toml").write_text(config(repo, hold))
    daemon = Daemon(home)
    daemon.env.update({k: v for k, v in GIT_ENV.items() if k != "PATH"})
    began = time.monotonic()

    async def release_agents() -> None:
        while True:
            await asyncio.sleep(rng.uniform(0.05, 0.8))
            os.write(valve, b"x")

    releasing = asyncio.create_task(release_agents())
    try:
        await daemon.start()
        await call(daemon, PinProject(target=str(repo), key="crash-pin"))
        pending = list(range(1, args.flows + 1))
        pending = pending[len(await start_flows(daemon, pending)) :]
        for _ in range(args.kills):
            await asyncio.sleep(rng.uniform(0.2, 1.5))
            daemon.kill()
            await daemon.start()
            pending = pending[len(await start_flows(daemon, pending)) :]
        while pending:
            pending = pending[len(await start_flows(daemon, pending)) :]
        flows = await wait_all_ended(daemon, args.flows, timeout=args.timeout)
        daemon.stop()
        report = analyse(daemon.paths.database, repo, flows, home)
    finally:
        releasing.cancel()
        daemon.stop()
        os.close(valve)
    print(f"crash_start_flow: {args.kills} SIGKILLs, {args.flows} flows, seed {args.seed}, "
          f"{time.monotonic() - began:.0f} s")  # fmt: skip
    rows = [("flows by state", report["flows"], "all completed"),
            ("attempts cut off by a kill", report["interrupted"], "run again"),
            ("agents adopted after a kill", report["adopted"], "followed to their end"),
            ("duplicate main issues", report["duplicate_main_issues"], "must be 0"),
            ("duplicate sub-issues", report["duplicate_sub_issues"], "must be 0"),
            ("duplicate comments", report["duplicate_comments"], "must be 0"),
            ("duplicate pull requests", report["duplicate_pull_requests"], "must be 0"),
            ("merge commits on main", report["merges"], f"must be {report['implementations']}"),
            ("files missing from main", report["missing_files"], "must be 0"),
            ("agent processes left", report["agents_left"], "must be 0"),
            ("worktrees left", report["worktrees_left"], "must be 0"),
            ("gaps in event seq", report["seq_gaps"], "must be 0"),
            ("PRAGMA integrity_check", report["integrity"], "must be ok")]  # fmt: skip
    for name, value, rule in rows:
        print(f"  {name:<28} {value}   ({rule})")
    ok = (
        set(report["flows"]) == {"completed"}  # type: ignore[arg-type]
        and all(report[k] == 0 for k in ("duplicate_main_issues", "duplicate_sub_issues", "duplicate_comments",
                                         "duplicate_pull_requests", "missing_files", "agents_left",
                                         "worktrees_left", "seq_gaps"))
        and report["merges"] == report["implementations"] and report["integrity"] == "ok"
    )  # fmt: skip
    print("  result                       " + ("PASS" if ok else "FAIL"))
    if ok and not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    else:
        print(f"  home kept at {home}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", type=int, default=4)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

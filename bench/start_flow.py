"""Start Flow benchmark: the orchestration's cost per sub-issue with instant agents, against the raw cost of
the git operations the same work needs, measured in the same run.

    python bench/start_flow.py [--components 25] [--concurrent 1]

The real path: a real daemon in a temporary home, a real git repository pinned as a local project, the
local tracker and forge, and an instant `command` agent (a few lines of sh: research writes its findings,
implementation writes one file and commits). `--components 25` is 50 sub-issues (a research and an
implementation each). The project's test command is `true`, so the gates' own work is not what is timed.
The flow is timed from `work.start` to its completed state: planning, filing the main issue, sub-issues and
relations, worktrees, the agents, every gate (diff, paths, merge onto main in a clean worktree, tests,
acceptance, analysis of the changed files, checks), the merges, comments and state moves, every row stored.

The raw baseline, in the same temporary directory: the same agent run the same number of times (it is in
both), each research in a worktree of its own (an agent reads a clean checkout, never the user's working
copy), and for each implementation the git operations a change must go through at the least: a worktree
on a new branch from main, the agent's commit, the change merged onto main in a detached scratch worktree
(where the tests would run), the `--no-ff` merge into main, and both worktrees removed.
Prints both, per sub-issue, and the ratio. Goal (issue 11): under 2x.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "scripts"))
from crashtest import Daemon

from contexten.cli.start_flow import wait_for_end
from contexten.client.connection import DaemonClient
from contexten.common.protocol import PinProject, Status
from contexten.common.protocol.delivery import StartWork

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@example.invalid"}  # fmt: skip
AGENT = """\
#!/bin/sh
if [ "$CONTEXTEN_ISSUE_KIND" = research ]; then
  echo "findings for $CONTEXTEN_ISSUE: the change goes at the root" > "$CONTEXTEN_RESULT_FILE"
  exit 0
fi
name=$(echo "$CONTEXTEN_ISSUE" | tr 'A-Z' 'a-z')
echo "$CONTEXTEN_ISSUE" > "f-$name.txt"
git add "f-$name.txt" && git commit -qm "$CONTEXTEN_ISSUE: the change"
"""


def git(repo: Path, *args: str, cwd: Path | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd or repo, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout  # fmt: skip


def make_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    (path / "README.md").write_text("bench\n")
    git(path, "add", ".")
    git(path, "commit", "-qm", "first")
    return path


def requirements(components: int) -> str:
    parts = [f"## Component {n}\nMake part {n}.\n" for n in range(1, components + 1)]
    return "# Bench\nMany parts.\n\n" + "\n".join(parts)


def config(agent: Path, concurrent: int) -> str:
    return f"""
[daemon]
heartbeat_seconds = 1
[health]
sample_interval_seconds = 5
[agents]
max_concurrent = {concurrent}
[agents.instant]
kind = "command"
command = ["{agent}"]
env = {json.dumps(GIT_ENV).replace('":', '" =')}
[start_flow]
agent = "instant"
[projects.repo]
test_command = ["true"]
"""


async def run_flow(daemon: Daemon, repo: Path, components: int) -> tuple[float, dict[str, object]]:
    client = DaemonClient(daemon.paths, timeout=30.0)
    try:
        await client.call(PinProject(target=str(repo)))
        since = (await client.call(Status())).last_seq
        began = time.perf_counter()
        flow = await client.call(StartWork(project="repo", requirements=requirements(components)))
        # Followed through the event stream, as the CLI's --wait does: no polling load on the daemon.
        flow = await wait_for_end(client, flow.id, since, echo=False)
        elapsed = time.perf_counter() - began
    finally:
        await client.aclose()
    if flow.state.value != "completed":
        raise SystemExit(f"the flow ended {flow.state.value}: {flow.error or [i.error for i in flow.items]}")
    return elapsed, flow.model_dump(mode="json")


def raw_baseline(root: Path, agent: Path, components: int) -> float:
    repo = make_repo(root / "raw")
    env = {**os.environ, **GIT_ENV}
    began = time.perf_counter()
    for n in range(1, components + 1):
        issue = f"RAW-{2 * n - 1}"
        result, reading = root / f"research-{n}.md", root / f"research-{n}"
        git(repo, "worktree", "add", "-q", "--detach", str(reading), "main")
        subprocess.run([str(agent)], cwd=reading, check=True, env={**env, "CONTEXTEN_ISSUE_KIND": "research",
                       "CONTEXTEN_ISSUE": issue, "CONTEXTEN_RESULT_FILE": str(result)})  # fmt: skip
        result.read_text()
        git(repo, "worktree", "remove", "--force", str(reading))
        issue, branch = f"RAW-{2 * n}", f"raw/{n}"
        tree, scratch = root / f"tree-{n}", root / f"scratch-{n}"
        git(repo, "worktree", "add", "-q", "-b", branch, str(tree), "main")
        subprocess.run([str(agent)], cwd=tree, check=True,
                       env={**env, "CONTEXTEN_ISSUE_KIND": "implementation", "CONTEXTEN_ISSUE": issue})  # fmt: skip
        git(repo, "worktree", "add", "-q", "--detach", str(scratch), "main")
        git(repo, "merge", "-q", "--no-ff", "--no-edit", branch, cwd=scratch)
        git(repo, "merge", "-q", "--no-ff", "--no-edit", branch)
        git(repo, "worktree", "remove", "--force", str(scratch))
        git(repo, "worktree", "remove", "--force", str(tree))
    return time.perf_counter() - began


async def main_async(args: argparse.Namespace) -> int:
    root = Path(tempfile.mkdtemp(prefix="cxb-", dir="/tmp"))
    agent = root / "agent.sh"
    agent.write_text(AGENT)
    agent.chmod(0o755)
    (root / "config.toml").write_text(config(agent, args.concurrent))
    repo = make_repo(root / "repo")
    daemon = Daemon(root)
    try:
        await daemon.start()
        flow_seconds, flow = await run_flow(daemon, repo, args.components)
    finally:
        daemon.stop()
    raw_seconds = raw_baseline(root, agent, args.components)
    subs = 2 * args.components
    merges = git(repo, "log", "--merges", "--format=%H", "main").split()
    if len(merges) != args.components:
        raise SystemExit(f"expected {args.components} merges on main, found {len(merges)}")
    ratio = flow_seconds / raw_seconds
    print(f"start_flow bench: {subs} sub-issues ({args.components} components), agents at once {args.concurrent}")
    print(f"  Start Flow, real daemon    {flow_seconds:7.2f} s   {flow_seconds / subs * 1000:7.1f} ms per sub-issue")
    print(f"  raw git + the same agent   {raw_seconds:7.2f} s   {raw_seconds / subs * 1000:7.1f} ms per sub-issue")
    print(f"  ratio                      {ratio:7.2f}x  (goal: under 2x)")
    print(f"  merges on main             {len(merges)}; items {len(flow['items'])}")  # type: ignore[arg-type]
    shutil.rmtree(root, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--components", type=int, default=25)
    parser.add_argument("--concurrent", type=int, default=1, help="[agents] max_concurrent for the flow")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

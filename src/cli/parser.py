"""The command line, declared: every command and its arguments. Nothing here imports more than argparse,
so `contexten --version` (and `--help`) answer at once; a command imports what it needs when it runs."""

from __future__ import annotations

import argparse
from typing import get_args

from contexten import __version__
from contexten.common.notice_kinds import NoticeKind, Severity


def build_parser() -> argparse.ArgumentParser:
    # `--json` before or after the command: a subcommand's default must not undo `contexten --json status`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON document")

    parser = argparse.ArgumentParser(prog="contexten", description="Operations console for autonomous CI/CD.")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--version", action="version", version=f"contexten {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("daemon", parents=[common], help="run the daemon in the foreground (what systemd starts)")
    sub.add_parser("up", parents=[common], help="start the daemon if needed, then open the console")
    sub.add_parser("tui", parents=[common], help="open the console against a running daemon")
    sub.add_parser("status", parents=[common], help="daemon state, pinned projects, runs by state")
    sub.add_parser("stop", parents=[common], help="stop the daemon gracefully")
    sub.add_parser("flows", parents=[common], help="the flows the daemon can run, with their parameters")
    sub.add_parser("recovery", parents=[common], help="recovery strategies per failure class, as ranked now")
    p = sub.add_parser("alerts", parents=[common], help="the active alerts (until resolved or acknowledged)")
    p.add_argument("--ack", metavar="KEY", help="acknowledge one: it leaves the list (a new raise brings it back)")

    p = sub.add_parser("pin", parents=[common], help="pin a local git repository (a path) or OWNER/REPO")
    p.add_argument("target", metavar="PATH_OR_OWNER/REPO")
    p = sub.add_parser("unpin", parents=[common], help="unpin a project")
    p.add_argument("id", metavar="ID")

    p = sub.add_parser("run", parents=[common], help="start a run of a flow")
    p.add_argument("flow", metavar="FLOW")
    p.add_argument("--project", metavar="ID")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a flow parameter (repeatable)")
    p.add_argument("--template", metavar="NAME", help="start from a named parameter template (see `flows`)")
    p.add_argument("--wait", action="store_true", help="follow the run; exit 0 if it completed, 1 if not")
    p.add_argument(
        "--key",
        default="",
        metavar="KEY",
        help="an idempotency key: sending the same key again returns the first run (default: a new one)",
    )

    p = sub.add_parser("show", parents=[common], help="a run with its steps")
    p.add_argument("run", type=int, metavar="RUN")
    for verb, text in (
        ("cancel", "cancel a run (a running subprocess gets SIGTERM, then SIGKILL)"),
        ("pause", "pause a run: running steps finish, no new ones start"),
        ("resume", "resume a paused run"),
        ("retry", "run a failed, cancelled or crashed run again; completed steps are kept"),
    ):
        p = sub.add_parser(verb, parents=[common], help=text)
        p.add_argument("run", type=int, metavar="RUN")

    p = sub.add_parser("issues", parents=[common], help="a project's issues as a tree, with progress")
    p.add_argument("project", metavar="PROJECT")
    p = sub.add_parser("prs", parents=[common], help="a project's pull requests with their checks")
    p.add_argument("project", metavar="PROJECT")
    p = sub.add_parser("issue", parents=[common], help="create an issue, or move one to another state")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("create", parents=[common], help="create an issue (a sub-issue with --parent)")
    a.add_argument("project", metavar="PROJECT")
    a.add_argument("title", metavar="TITLE")
    a.add_argument("--body", default="")
    a.add_argument("--parent", metavar="IDENTIFIER")
    a = actions.add_parser("move", parents=[common], help="move an issue to a state (a name or a type)")
    a.add_argument("project", metavar="PROJECT")
    a.add_argument("identifier", metavar="IDENTIFIER")
    a.add_argument("state", metavar="STATE")
    p = sub.add_parser("propose", parents=[common], help="open a pull request for a branch")
    p.add_argument("project", metavar="PROJECT")
    p.add_argument("branch", metavar="BRANCH")
    p.add_argument("title", metavar="TITLE")
    p.add_argument("--body", default="")
    p = sub.add_parser("sync-log", parents=[common], help="what the issue sync decided, and why")
    p.add_argument("--project", metavar="ID")
    p.add_argument("--issue", metavar="IDENTIFIER")
    p.add_argument("--limit", type=int, default=50)

    _start_flow_commands(sub, common)

    p = sub.add_parser("analyze", parents=[common], help="analyse a source tree (no daemon needed)")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--diff", metavar="FILE", help="a unified diff (- for stdin): report its blast radius")
    p.add_argument("--depth", type=int, default=3, help="how far the blast radius follows callers (default 3)")
    p.add_argument("--top", type=int, default=20, help="how many rows of each table to print (default 20)")
    p.add_argument("--min-tokens", type=int, default=50, help="smallest duplicated block, in tokens (default 50)")
    p.add_argument("--min-lines", type=int, default=6, help="smallest duplicated block, in lines (default 6)")
    p.add_argument("--max-bytes", type=int, default=1_000_000, help="skip files larger than this (default 1 MB)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave out paths (repeatable)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the analysis cache")

    p = sub.add_parser("analysis", parents=[common], help="the daemon's current analysis of a pinned project")
    p.add_argument("project", metavar="PROJECT")
    p.add_argument("--top", type=int, default=20, help="how many rows of each table to print (default 20)")

    p = sub.add_parser("events", parents=[common], help="the event log, in seq order")
    p.add_argument("--run", type=int, metavar="RUN")
    p.add_argument("--since", type=int, default=0, metavar="SEQ", help="only events after this seq")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    p.add_argument("--filter", default="", metavar="TEXT", help="kind:PREFIX project:ID run:N and words, all required")
    return parser


def _start_flow_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    p = sub.add_parser("start", parents=[common], help="start a Start Flow: requirements -> issues -> agents -> merges")
    p.add_argument("project", metavar="PROJECT")
    p.add_argument("--requirements", "-r", metavar="FILE", help="a Markdown file, or - for stdin")
    p.add_argument("--feature", action="store_true", help="feature_development: one component, no research")
    p.add_argument("--research", action="store_true", help="(with --feature) research it first")
    p.add_argument("--bug", metavar="ISSUE", help="bug_fix_workflow from this issue: a reproducing test, then the fix")
    p.add_argument("--fix", action="store_true", help="bug_fix_workflow from the requirements (a bug report)")
    p.add_argument("--refactor", action="store_true", help="autonomous_refactoring of the analysis' hotspots")
    p.add_argument("--scope", default="", metavar="DIR", help="(with --refactor) only this folder's hotspots")
    p.add_argument("--hotspots", type=int, default=3, metavar="N", help="(with --refactor) how many (default 3)")
    p.add_argument("--agent", metavar="NAME", help="the coding agent ([agents.NAME]; default [start_flow] agent)")
    p.add_argument("--planner", choices=("outline", "agent"), help="how the requirements become a plan")
    p.add_argument("--plan-only", action="store_true", help="print the plan; create nothing")
    p.add_argument("--wait", action="store_true", help="exit 0 once everything merged and validated, 1 otherwise")
    p.add_argument(
        "--key", default="", metavar="KEY", help="an idempotency key: the same key again returns the first flow"
    )

    p = sub.add_parser("ci", parents=[common], help="a project's CI: pipeline, failures, tests",
                       description="`ci PROJECT`: its CI runs -> jobs -> steps and the test trend; `ci failures "
                       "[PROJECT]`: the failures failure_analysis classified; `ci tests PROJECT`: per-test history "
                       "(test_optimization).")  # fmt: skip
    p.add_argument("what", metavar="PROJECT|failures|tests")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--run", type=int, default=None, help="ci PROJECT: this CI run (default: the newest)")
    p.add_argument("--log-lines", type=int, default=30, help="ci PROJECT: lines of the failing step's log shown")

    p = sub.add_parser("stats", parents=[common], help="runs, success, p50/p95, queue time, retries per flow")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--window", default="7d", help="how far back: 7d, 24h, 30m (default 7d)")

    p = sub.add_parser("security", parents=[common], help="security_audit's findings, most severe first")
    p.add_argument("project", nargs="?", metavar="PROJECT")
    p.add_argument("--fixed", action="store_true", help="those later audits no longer found")
    p.add_argument("--all", action="store_true", help="open and fixed")
    p.add_argument("--limit", type=int, default=200)

    p = sub.add_parser("notify", parents=[common], help="notifications: the outbox, routes, a test message")
    verbs = p.add_subparsers(dest="notify_command", required=True, metavar="VERB")
    q = verbs.add_parser("outbox", parents=[common], help="the newest notices and where each stands")
    q.add_argument("--state", default="", choices=["", "pending", "sending", "sent", "refused", "uncertain"])
    q.add_argument("--limit", type=int, default=50)
    q = verbs.add_parser("route", parents=[common], help="which receivers a notice would reach, and why")
    q.add_argument("--kind", default="alert", choices=get_args(NoticeKind))
    q.add_argument("--project", metavar="ID")
    q.add_argument("--flow", metavar="FLOW")
    q.add_argument("--severity", default="warning", choices=get_args(Severity))
    q.add_argument("--label", action="append", default=[], metavar="NAME=VALUE",
                   help="a label of the notice (an alert's source=sampler); again for more")  # fmt: skip
    q = verbs.add_parser("retry", parents=[common], help="send a refused or uncertain notice again")
    q.add_argument("id", type=int, metavar="ID")
    q = verbs.add_parser("test", parents=[common], help="send a test message to a receiver; print its answer")
    q.add_argument("receiver", metavar="RECEIVER")
    q = verbs.add_parser("inbox", parents=[common], help="notices a person may need to act on, newest first")
    q.add_argument("--state", default="", choices=["", "open", "new", "acknowledged", "resolved"])
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--id", type=int, metavar="ID", help="one notice, with its history")
    for verb, what in (("ack", "acknowledge a notice: you have it; its escalation stops"),
                       ("resolve", "resolve a notice: it is dealt with")):  # fmt: skip
        p = sub.add_parser(verb, parents=[common], help=what)
        p.add_argument("id", type=int, metavar="ID", help="the notice's number (contexten notify inbox)")

    p = sub.add_parser("work", parents=[common], help="Start Flows: the list, one flow's tree, and orders")
    p.add_argument("flow", nargs="?", type=int, metavar="FLOW")
    p.add_argument("--project", metavar="ID", help="(the list) only this project's flows")
    p.add_argument("--follow", "-f", action="store_true", help="keep printing changes until the flow ends")
    p.add_argument("--log", type=int, metavar="ITEM", help="the end of the item's agent log")
    for verb in ("pause", "resume", "cancel"):
        p.add_argument(f"--{verb}", action="store_true", help=f"{verb} the whole flow")
    p.add_argument("--retry", type=int, metavar="ITEM", help="give an escalated item another attempt")
    p.add_argument("--done", type=int, metavar="ITEM", help="mark an item done by hand; the flow goes on")
    p.add_argument("--cancel-item", type=int, metavar="ITEM", help="cancel one item (its agent is stopped)")
    p.add_argument("--pause-item", type=int, metavar="ITEM", help="pause one item")
    p.add_argument("--resume-item", type=int, metavar="ITEM", help="resume one item")

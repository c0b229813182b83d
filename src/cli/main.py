"""`contexten` / `python -m contexten`: argument parsing and dispatch.

Exit codes: 0 success; 1 the daemon refused the command or the run did not complete; 2 the command line is
wrong (argparse's convention); 3 bad configuration or an unusable store; 4 the daemon is unreachable (or
not to be trusted).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from contexten import __version__
from contexten.cli import analyze, commands, start_flow
from contexten.cli.output import emit_json, error
from contexten.common.errors import (
    AlreadyRunning,
    CommandFailed,
    ConfigError,
    ContextenError,
    DaemonUnreachable,
    StoreError,
    UntrustedDaemon,
)
from contexten.common.paths import resolve_paths

EXIT_REFUSED = 1
EXIT_USAGE = 2  # argparse's own
EXIT_CONFIG = 3
EXIT_UNREACHABLE = 4


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

    start_flow.add_commands(sub, common)

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    paths = resolve_paths()
    try:
        if args.command == "daemon":
            return commands.daemon(paths)
        if args.command == "tui":
            return commands.tui(paths)
        if args.command == "analyze":
            return analyze.run(args, paths)
        if args.command == "up":
            # The console runs on the main thread, after the set-up's event loop has closed.
            return commands.tui(paths) if asyncio.run(commands.up(args, paths)) else 0
        return asyncio.run(commands.dispatch(args, paths))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `contexten events | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ConfigError, StoreError) as exc:
        return _fail(args, exc, EXIT_CONFIG)
    except AlreadyRunning as exc:
        return _fail(args, exc, EXIT_REFUSED)
    except UntrustedDaemon as exc:
        return _fail(args, exc, EXIT_UNREACHABLE)
    except DaemonUnreachable as exc:
        return _fail(args, exc, EXIT_UNREACHABLE, hint=" (is it running? `contexten up` starts it)")
    except CommandFailed as exc:
        return _fail(args, exc, EXIT_REFUSED)
    except ContextenError as exc:
        return _fail(args, exc, EXIT_REFUSED)


def _fail(args: argparse.Namespace, exc: Exception, code: int, hint: str = "") -> int:
    if getattr(args, "json", False):
        emit_json({"ok": False, "error": {"type": type(exc).__name__, "code": getattr(exc, "code", None),
                                          "message": str(exc)}})  # fmt: skip
    error(f"{exc}{hint}")
    return code


if __name__ == "__main__":
    sys.exit(main())

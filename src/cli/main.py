"""`contexten` / `python -m contexten`: argument parsing and dispatch.

Exit codes: 0 success; 1 the daemon refused the command or the run did not complete; 2 the command line is
wrong (argparse's convention); 3 bad configuration or an unusable store; 4 the daemon is unreachable (or
not to be trusted).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from contexten.cli.output import emit_json, error
from contexten.cli.parser import build_parser
from contexten.common.errors import (
    ConfigError,
    ContextenError,
    DaemonUnreachable,
    StoreError,
    UntrustedDaemon,
)
from contexten.common.paths import Paths, resolve_paths

EXIT_REFUSED = 1
EXIT_USAGE = 2  # argparse's own
EXIT_CONFIG = 3
EXIT_UNREACHABLE = 4


def main(argv: Sequence[str] | None = None) -> int:
    # contexten uses no pydantic plugins, and looking for them reads every installed package's metadata
    # (~15 ms of each start-up: of the console's first paint, of the daemon's). Set before pydantic loads.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = build_parser().parse_args(argv)
    try:
        return _run(args, resolve_paths())
    except ContextenError as exc:
        return _failed(args, exc)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `contexten events | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _run(args: argparse.Namespace, paths: Paths) -> int:
    # Imported once the command is known: the analysis (and its grammars) only for `analyze`; neither the
    # client nor pydantic for `--version`/`--help` (argparse answered those above), and for `status` only
    # the blocking lane client, with no asyncio and no model (a fresh process answers in under 150 ms).
    if args.command == "status":
        from contexten.cli.status_view import show_status

        return show_status(args, paths)
    import asyncio

    from contexten.cli import commands

    if args.command == "daemon":
        return commands.daemon(paths)
    if args.command == "tui":
        return commands.tui(paths)
    if args.command == "analyze":
        from contexten.cli import analyze

        return analyze.run(args, paths)
    if args.command == "up":
        # The console runs on the main thread, after the set-up's event loop has closed.
        return commands.tui(paths) if asyncio.run(commands.up(args, paths)) else 0
    return asyncio.run(commands.dispatch(args, paths))


def _failed(args: argparse.Namespace, exc: ContextenError) -> int:
    """The exit code and message of a deliberate error (the module's docstring lists the codes)."""
    if isinstance(exc, ConfigError | StoreError):
        return _fail(args, exc, EXIT_CONFIG)
    if isinstance(exc, UntrustedDaemon):
        return _fail(args, exc, EXIT_UNREACHABLE)
    if isinstance(exc, DaemonUnreachable):
        return _fail(args, exc, EXIT_UNREACHABLE, hint=" (is it running? `contexten up` starts it)")
    return _fail(args, exc, EXIT_REFUSED)  # AlreadyRunning, CommandFailed and the rest


def _fail(args: argparse.Namespace, exc: Exception, code: int, hint: str = "") -> int:
    if getattr(args, "json", False):
        emit_json({"ok": False, "error": {"type": type(exc).__name__, "code": getattr(exc, "code", None),
                                          "message": str(exc)}})  # fmt: skip
    error(f"{exc}{hint}")
    return code


if __name__ == "__main__":
    sys.exit(main())

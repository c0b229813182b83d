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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    paths = resolve_paths()
    # Imported once the command is known: the analysis (and its grammars) only for `analyze`, and neither
    # the client nor pydantic for `--version`/`--help` (which argparse answered above).
    import asyncio

    from contexten.cli import commands

    try:
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

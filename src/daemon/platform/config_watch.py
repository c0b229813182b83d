"""Live config: watch the file with watchfiles and apply a valid edit; keep the last good one otherwise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import awatch

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config import Config, parse_config, read_config_text

log = logging.getLogger(__name__)
# watchfiles logs every change at INFO; with a log file beside the config that would feed itself.
logging.getLogger("watchfiles").setLevel(logging.WARNING)


async def watch_config(
    path: Path,
    loaded: str | None,
    on_valid: Callable[[Config], Awaitable[None]],
    on_error: Callable[[ConfigError], object],
) -> None:
    """Apply each edit of `path`; `loaded` is the text the daemon started with.

    The watcher only sees edits made after it is armed, and an edit can land between the daemon reading
    its config and that moment (a `contexten status` already answers then). So each quiet wake-up also
    compares the file with the text last handled, and an edit the watcher missed is applied at the latest
    one timeout (5 s) later.
    """
    # Watch the folder, not the file: editors save by writing a new file and renaming it over the old.
    path.parent.mkdir(parents=True, exist_ok=True)
    target = str(path)
    handled: str | None = loaded
    async for changes in awatch(
        path.parent,
        watch_filter=lambda _change, changed: changed == target,
        debounce=200,
        step=500,  # how often its thread wakes when nothing changes; an edit still lands within a second
        recursive=False,
        yield_on_timeout=True,
    ):
        try:
            text = read_config_text(path)
            seen = text
        except ConfigError as exc:  # not a file one can read (a FIFO, a dangling link): refused, never fatal
            text, seen = None, f"unreadable: {exc}"
            unreadable: ConfigError | None = exc
        else:
            unreadable = None
        if not changes and seen == handled:
            continue
        handled = seen
        try:
            if unreadable is not None:
                raise unreadable
            if text is None:
                raise ConfigError(target, "", "the file is gone; keeping the last good config until it is back")
            if not text.strip():
                # An editor that truncates, then writes, is caught in between: defaults would drop every
                # schedule and template. A config that is meant to be empty can say so with a comment.
                raise ConfigError(target, "", "the file is empty (a save in progress?); keeping the last good config")
            config = parse_config(text, target)
        except ConfigError as exc:
            log.warning("config edit refused, keeping the last good config: %s", exc)
            on_error(exc)
            continue
        await on_valid(config)

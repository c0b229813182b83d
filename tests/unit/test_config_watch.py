"""The live config watch against a real file and watchfiles' real watcher."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.config_watch import watch_config

# The watch notices a missed edit at its next quiet wake-up (watchfiles' 5 s); a loaded machine needs slack.
NOTICED = 30.0


async def test_an_edit_made_before_the_watcher_was_armed_is_still_applied(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[schedules]]\nflow = "synthetic"\ncron = "99 * * * *"\n')  # edited after the daemon read it
    errors: list[ConfigError] = []
    applied: list[Config] = []
    changed = asyncio.Event()

    async def on_valid(config: Config) -> None:
        applied.append(config)
        changed.set()

    def on_error(exc: ConfigError) -> None:
        errors.append(exc)
        changed.set()

    watch = asyncio.create_task(watch_config(path, "# what the daemon started with\n", on_valid, on_error))
    try:
        await asyncio.wait_for(changed.wait(), NOTICED)
        assert [e.key for e in errors] == ["schedules[0].cron"] and applied == []
        changed.clear()
        path.write_text('[daemon]\nlog_level = "debug"\n')
        await asyncio.wait_for(changed.wait(), NOTICED)
        assert len(errors) == 1
        assert [c.daemon.log_level for c in applied] == ["debug"]
    finally:
        watch.cancel()

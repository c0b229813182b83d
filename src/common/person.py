"""Who gives an order from this terminal (the CLI's `ack`, the console's `a`): the login it runs under,
which the notice's history then names."""

from __future__ import annotations

import getpass


def login_name() -> str:
    """The login name, or "" where this uid has none (a container)."""
    try:
        return getpass.getuser()[:100]
    except (OSError, KeyError):
        return ""

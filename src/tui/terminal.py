"""Whether the console's terminal is still there. An SSH connection that drops without a hang-up signal
(a killed sshd, a closed pseudo-terminal of a process with no controlling terminal) leaves the console
reading errors from a dead terminal, which Textual's input thread retries forever at full speed."""

from __future__ import annotations

import errno
import sys
import termios

GONE = frozenset({errno.EIO, errno.ENXIO})  # not ENOTTY: stdin that never was a terminal is not "gone"


def terminal_gone(fd: int | None = None) -> bool:
    """True once the terminal on `fd` (stdin) answers only that it is gone."""
    if fd is None:
        stream = sys.__stdin__
        if stream is None:
            return False
        fd = stream.fileno()
    try:
        termios.tcgetattr(fd)
    except termios.error as exc:
        return bool(exc.args) and exc.args[0] in GONE
    return False

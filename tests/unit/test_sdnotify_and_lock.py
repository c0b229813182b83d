from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from contexten.common.errors import AlreadyRunning
from contexten.daemon.platform.lock import InstanceLock, lock_holder
from contexten.daemon.platform.sdnotify import SystemdNotifier as Notifier


def test_notify_reaches_a_real_notify_socket(tmp_path: Path) -> None:
    address = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(address)
        notifier = Notifier({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "4000000"})
        notifier.ready("ready; 0 pinned projects")
        notifier.watchdog()
        first = server.recv(4096).decode().splitlines()
        second = server.recv(4096).decode()
    assert first[:2] == ["READY=1", "STATUS=ready; 0 pinned projects"]
    assert second == "WATCHDOG=1"
    assert notifier.watchdog_interval == 2.0


def test_abstract_notify_socket() -> None:
    name = f"contexten-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        Notifier({"NOTIFY_SOCKET": "@" + name}).stopping()
        assert server.recv(4096).decode().startswith("STOPPING=1")


def test_watchdog_for_another_pid_is_ignored() -> None:
    assert Notifier({"WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"}).watchdog_interval is None
    assert not Notifier({}).enabled


def test_one_lock_holder_per_home(tmp_path: Path) -> None:
    path = tmp_path / "daemon.lock"
    assert lock_holder(path) is None
    first = InstanceLock(path)
    first.acquire()
    assert lock_holder(path) == os.getpid()
    with pytest.raises(AlreadyRunning, match=f"pid {os.getpid()}"):
        InstanceLock(path).acquire()
    first.release()
    assert lock_holder(path) is None

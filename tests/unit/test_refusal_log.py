"""Refusals are logged once per client per interval, and summed up when the interval ends."""

from __future__ import annotations

import logging

import pytest

from contexten.daemon.platform import refusals
from contexten.daemon.platform.refusals import RefusalLog


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == refusals.log.name]


def test_one_line_per_client_then_a_sum_when_the_interval_ends(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    clock = Clock()
    log = RefusalLog(clock, interval=60)
    for _ in range(500):
        log.refused(b"\x01\x02", "bad_frame", "not JSON")
    log.refused(b"\x03", "busy", "the daemon is busy")
    assert _lines(caplog) == [
        "refused a request from client 0102 (bad_frame: not JSON); further refusals from it are counted for 60s",
        "refused a request from client 03 (busy: the daemon is busy); further refusals from it are counted for 60s",
    ]
    clock.t += 61
    log.refused(b"\x01\x02", "invalid_params", "id: too big")
    assert _lines(caplog)[2:] == [
        "client 0102: 499 more requests refused in 60s (latest bad_frame: not JSON)",
        "refused a request from client 0102 (invalid_params: id: too big); further refusals from it are counted "
        "for 60s",
    ]
    log.flush()  # at shutdown: client 03 refused nothing more, so it has no sum; 0102's new window neither
    assert len(_lines(caplog)) == 4


def test_quiet_clients_are_summed_up_and_forgotten(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    clock = Clock()
    log = RefusalLog(clock, interval=10)
    log.refused(b"\xaa", "bad_frame", "x")
    log.refused(b"\xaa", "bad_frame", "y")
    log.flush(expired_only=True)
    assert len(_lines(caplog)) == 1  # its window is still open
    clock.t += 10
    log.flush(expired_only=True)
    assert _lines(caplog)[-1] == "client aa: 1 more requests refused in 10s (latest bad_frame: y)"
    log.refused(b"\xaa", "bad_frame", "z")
    assert _lines(caplog)[-1].startswith("refused a request from client aa (bad_frame: z)")


def test_what_is_remembered_of_clients_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(refusals, "MAX_CLIENTS", 8)
    log = RefusalLog(Clock(), interval=60)
    for n in range(100):
        log.refused(n.to_bytes(2, "big"), "bad_frame", "x")
    assert len(log._windows) <= 8

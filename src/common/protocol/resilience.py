"""Requests about recovery."""

from __future__ import annotations

from typing import Literal

from contexten.common.models import RecoveryRow
from contexten.common.protocol.base import Request


class RecoveryTable(Request[list[RecoveryRow]]):
    cmd: Literal["recovery.table"] = "recovery.table"

"""Requests about alerts: the active ones, and acknowledging one."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.alerts import ActiveAlert
from contexten.common.lazy_model import LazyModel
from contexten.common.protocol.base import Request


class ListAlerts(Request[list[ActiveAlert]]):
    """The active alerts, most severe first, then the newest."""

    cmd: Literal["alert.list"] = "alert.list"


class AlertAcknowledged(LazyModel):
    key: str
    message: str


class AckAlert(Request[AlertAcknowledged]):
    """A person has seen it: it leaves the active list (a new raise brings it back)."""

    cmd: Literal["alert.ack"] = "alert.ack"
    key: str = Field(min_length=1, max_length=500)

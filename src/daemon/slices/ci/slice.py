"""The CI slice: what a project's failed CI runs were (classified from their logs, `classify.py`), each
distinct failure once (`ledger.py`, its table and its `ci.failure` events), and the requests that list
them. The `failure_analysis` flow does the fetching and filing; this slice owns what it records."""

from __future__ import annotations

from dataclasses import asdict

from contexten.common.protocol.ci import CiFailure, ListCiFailures
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.ci.ledger import FailureLedger


class CiSlice(Slice):
    name = "ci"

    def __init__(self, ledger: FailureLedger) -> None:
        super().__init__()
        self.ledger = ledger

    @handles(ListCiFailures)
    async def list_failures(self, request: ListCiFailures) -> list[CiFailure]:
        return [CiFailure(**asdict(k)) for k in await self.ledger.of(request.project, request.limit)]

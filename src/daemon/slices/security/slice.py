"""The security slice: what a project's security audits found (`ledger.py`: its table and its
`security.*` events), how an OSV record reads for one dependency (`vulnerabilities.py`), and the request
that lists the findings. The `security_audit` flow does the reading, asking and filing."""

from __future__ import annotations

from typing import Any, cast

from contexten.common.protocol.security import ListSecurityFindings, SecurityFinding
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.security.ledger import FindingLedger


class SecuritySlice(Slice):
    name = "security"

    def __init__(self, ledger: FindingLedger) -> None:
        super().__init__()
        self.ledger = ledger

    @handles(ListSecurityFindings)
    async def list_findings(self, request: ListSecurityFindings) -> list[SecurityFinding]:
        return [
            SecurityFinding(project=k.project, key=k.finding.key, kind=cast(Any, k.finding.kind),
                            severity=k.finding.severity, title=k.finding.title, location=k.finding.location,
                            state=cast(Any, k.state), issue=k.issue, first_seen=k.first_seen, last_seen=k.last_seen,
                            detail=k.finding.detail)
            for k in await self.ledger.of(request.project, request.state, request.limit)
        ]  # fmt: skip

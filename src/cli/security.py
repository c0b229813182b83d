"""`contexten security [PROJECT]`: what security_audit found, most severe first (never a secret's value:
the audit keeps only a fingerprint)."""

from __future__ import annotations

import argparse

from contexten.cli.output import emit_json
from contexten.client.connection import DaemonClient
from contexten.common.protocol.security import ListSecurityFindings


async def findings(args: argparse.Namespace, client: DaemonClient) -> int:
    state = None if args.all else "fixed" if args.fixed else "open"
    rows = await client.call(ListSecurityFindings(project=args.project, state=state, limit=args.limit))
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no security finding" + (" open" if state == "open" else "") + " (the security_audit flow looks)")
    for r in rows:
        print(
            f"{r.project:<12} {r.severity:<8} {r.kind:<13} {r.state:<5} {r.issue or '-':<10} {r.title}  @ {r.location}"
        )
    return 0

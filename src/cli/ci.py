"""`contexten ci failures [PROJECT]`: the distinct CI failures `failure_analysis` has classified."""

from __future__ import annotations

import argparse

from contexten.cli.output import clock, emit_json
from contexten.client.connection import DaemonClient
from contexten.common.protocol.ci import ListCiFailures


async def failures(args: argparse.Namespace, client: DaemonClient) -> int:
    rows = await client.call(ListCiFailures(project=args.project, limit=args.limit))
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("no CI failure classified yet (the failure_analysis flow does it)")
    for r in rows:
        where = f"{r.issue}" if r.issue else ("flaky" if r.flaky else "-")
        print(f"{r.project:<12} {r.signature}  {r.kind:<14} ×{r.seen:<3} {clock(r.last_seen)}  {where:<10} {r.title}")
    return 0

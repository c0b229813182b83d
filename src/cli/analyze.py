"""`contexten analyze PATH`: an analysis run right here, without the daemon, printed as tables or JSON."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from contexten.cli.output import clock, emit_json
from contexten.client.connection import DaemonClient
from contexten.common.errors import ContextenError
from contexten.common.paths import Paths
from contexten.common.protocol import GetAnalysis

if TYPE_CHECKING:
    from contexten.analysis.report import Report


class AnalysisFailed(ContextenError):
    """The analysis could not start: the path or the diff is unusable."""


def run(args: argparse.Namespace, paths: Paths) -> int:
    # Imported here: the analysis and its grammars cost ~0.3 s, which no other command should pay.
    from contexten.analysis.analyzer import AnalysisSettings, Analyzer
    from contexten.analysis.cache import AnalysisCache
    from contexten.analysis.impact import DiffError, blast_radius

    root = os.path.abspath(args.path)
    if not os.path.isdir(root):
        raise AnalysisFailed(f"analyze: {args.path} is not a directory")
    diff = _read_diff(args.diff) if args.diff else None
    settings = AnalysisSettings(max_file_bytes=args.max_bytes, min_duplicate_tokens=args.min_tokens,
                                min_duplicate_lines=args.min_lines, exclude=tuple(args.exclude))  # fmt: skip
    cache = None
    if not args.no_cache:
        paths.state_dir.mkdir(parents=True, exist_ok=True)
        cache = AnalysisCache(str(paths.analysis_cache))
    try:
        report = Analyzer(root, settings, cache).analyse()
    finally:
        if cache is not None:
            cache.close()
    document: dict[str, Any] = report.to_json()
    if diff is not None:
        try:
            impacted = blast_radius(report.files, report.graph, root, diff, args.depth)
        except DiffError as exc:
            raise AnalysisFailed(f"analyze --diff {args.diff}: {exc}") from None
        document["impact"] = [vars_of(i) for i in impacted]
    if args.json:
        emit_json(document)
    else:
        print_report(report, document, args.top)
    return 0


async def show(args: argparse.Namespace, client: DaemonClient) -> int:
    """`contexten analysis PROJECT`: the daemon's current analysis of a pinned project (what the console's
    analysis view shows), with the trend of its stored reports."""
    view = await client.call(GetAnalysis(project=args.project))
    if args.json:
        emit_json(view)
        return 0
    s = view.summary
    print(
        f"{view.project} ({view.root}): {s.get('files', 0):g} files, {s.get('functions', 0):g} functions, "
        f"{s.get('nloc', 0):g} NLOC, average CCN {s.get('ccn_average', 0):g}, max {s.get('ccn_max', 0):g}"
    )
    top = args.top
    _table(
        "Most complex functions",
        ["CCN", "NLOC", "function", "where"],
        [[f.ccn, f.nloc, f.name, f"{f.file}:{f.start_line}-{f.end_line}"] for f in view.functions[:top]],
    )
    _table(
        "Dead code",
        ["conf", "kind", "name", "where", "why"],
        [[f"{d.confidence}%", d.kind, d.name, f"{d.file}:{d.line}", d.reason] for d in view.dead_code[:top]],
        total=len(view.dead_code),
    )
    _table(
        "Duplicated blocks",
        ["tokens", "lines", "where"],
        [[b.tokens, b.lines, ", ".join(b.occurrences[:3])] for b in view.duplicates[:top]],
        total=len(view.duplicates),
    )
    _table("Dependency cycles", ["cycle"], [[" -> ".join([*c, c[0]])] for c in view.cycles[:top]])
    _table(
        "Hotspots",
        ["score", "CCN", "commits", "function", "file"],
        [[h.score, h.ccn, h.churn, h.name, h.file] for h in view.hotspots[:top]],
    )
    _table("Trend (stored reports)", ["when", "flow", "avg CCN", "max CCN", "dead (high)", "dup %", "cycles"],
           [[clock(p.at), p.flow, p.summary.get("ccn_average"), p.summary.get("ccn_max"),
             p.summary.get("dead_code_high"), p.summary.get("duplicated_lines_percent"), p.summary.get("cycles")]
            for p in view.trend[-top:]])  # fmt: skip
    return 0


def vars_of(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__slots__}


def _read_diff(source: str) -> str:
    try:
        if source == "-":
            return sys.stdin.read()
        with open(source, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError as exc:
        raise AnalysisFailed(f"analyze --diff: cannot read {source}: {exc.strerror}") from None


def print_report(report: Report, document: dict[str, Any], top: int) -> None:
    s = document["summary"]
    print(f"{report.root}: {s['files']} files, {s['functions']} functions, {s['nloc']} NLOC, "
          f"average CCN {s['ccn_average']}, max {s['ccn_max']}, {s['skipped']} skipped")  # fmt: skip
    functions = sorted(document["functions"], key=lambda f: (-f["ccn"], f["file"], f["start_line"]))[:top]
    _table(
        "Most complex functions",
        ["CCN", "NLOC", "function", "where"],
        [[f["ccn"], f["nloc"], f["name"], f"{f['file']}:{f['start_line']}-{f['end_line']}"] for f in functions],
    )
    _table(
        "Dead code",
        ["conf", "kind", "name", "where", "why"],
        [
            [f"{d['confidence']}%", d["kind"], d["name"], f"{d['file']}:{d['line']}", d["reason"]]
            for d in document["dead_code"][:top]
        ],
        total=len(document["dead_code"]),
    )
    _table(
        "Duplicated blocks",
        ["tokens", "lines", "copies", "where"],
        [
            [
                b["tokens"],
                b["lines"],
                len(b["occurrences"]),
                ", ".join(f"{o['file']}:{o['start_line']}" for o in b["occurrences"][:3]),
            ]
            for b in document["duplicates"][:top]
        ],
        total=len(document["duplicates"]),
    )
    _table(
        "Dependency cycles",
        ["files", "cycle"],
        [[len(c), " -> ".join([*c, c[0]])] for c in document["cycles"][:top]],
        total=len(document["cycles"]),
    )
    _table(
        "Hotspots (CCN x commits in 90 days)",
        ["score", "CCN", "commits", "function", "file"],
        [[h["score"], h["ccn"], h["churn"], h["name"], h["file"]] for h in document["hotspots"][:top]],
    )
    skipped = [f for f in document["files"] if f["skipped"]]
    _table("Skipped files", ["file", "reason"], [[f["path"], f["skipped"]] for f in skipped[:top]], total=len(skipped))
    if "impact" in document:
        _table(
            "Blast radius",
            ["depth", "symbol", "file", "via"],
            [[i["depth"], i["name"], i["file"], i["via"] or "changed"] for i in document["impact"]],
        )


def _table(title: str, headers: list[str], rows: list[list[Any]], total: int | None = None) -> None:
    count = f" ({len(rows)} of {total})" if total is not None and total > len(rows) else ""
    print(f"\n{title}{count}:" if rows else f"\n{title}: none")
    if not rows:
        return
    cells = [[str(c) for c in row] for row in rows]
    widths = [min(60, max(len(h), *(len(r[i]) for r in cells))) for i, h in enumerate(headers)]
    print("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

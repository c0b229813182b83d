"""Dead code: contexten against vulture on the same corpus.

    python bench/dead_code_vs_vulture.py [PACKAGE ...]

By default the corpus is a set of standard-library packages of this interpreter (their tests left out).
For functions, methods, classes and imports, prints how many each tool reports, how many both report, and
samples of what only one of them reports, grouped by the reason (see docs/analysis.md for the discussion).
"""

from __future__ import annotations

import argparse
import sysconfig
from collections import Counter
from pathlib import Path

from vulture import Vulture

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from contexten.analysis.dead_code import is_test_file

PACKAGES = "asyncio concurrent email http json logging urllib xml importlib multiprocessing".split()  # noqa: SIM905
KINDS = {"function": "function", "method": "method", "class": "class", "import": "import"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("packages", nargs="*", default=PACKAGES)
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    ours: set[tuple[str, str, str]] = set()
    confidence: dict[tuple[str, str, str], int] = {}
    theirs: set[tuple[str, str, str]] = set()
    for package in args.packages:
        root = stdlib / package
        report = Analyzer(str(root), AnalysisSettings(workers=1)).analyse()
        for d in report.dead_code:
            key = (f"{package}/{d.file}", d.kind, d.name)
            ours.add(key)
            confidence[key] = d.confidence
        vulture = Vulture()
        files = [str(p) for p in root.rglob("*.py") if not is_test_file(str(p.relative_to(root)))]
        vulture.scavenge(files)
        for item in vulture.get_unused_code(min_confidence=60):
            kind = KINDS.get(item.typ)
            if kind is None:
                continue  # variables, attributes, properties, unreachable code: contexten does not report these
            rel = Path(item.filename).relative_to(stdlib).as_posix()
            theirs.add((rel, kind, item.name))
    ours_in_kinds = {k for k in ours if k[1] in KINDS}
    both = ours_in_kinds & theirs
    print(f"corpus: {', '.join(args.packages)} (standard library, tests left out)")
    print(f"{'kind':10} {'contexten':>10} {'vulture':>8} {'both':>6}")
    for kind in KINDS:
        counts = [sum(1 for k in found if k[1] == kind) for found in (ours_in_kinds, theirs, both)]
        print(f"{kind:10} {counts[0]:>10} {counts[1]:>8} {counts[2]:>6}")
    only_ours = sorted(ours_in_kinds - theirs)
    only_theirs = sorted(theirs - ours_in_kinds)
    print(f"\nonly contexten: {len(only_ours)} (by confidence: "
          f"{dict(sorted(Counter(confidence[k] for k in only_ours).items()))})")  # fmt: skip
    for key in only_ours[:15]:
        print(f"  {confidence[key]:>3}%  {key[1]:8} {key[2]:30} {key[0]}")
    print(f"only vulture: {len(only_theirs)}")
    for key in only_theirs[:60]:
        print(f"        {key[1]:8} {key[2]:30} {key[0]}")


if __name__ == "__main__":
    main()

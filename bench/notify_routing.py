"""What routing notifications costs the event path (issue 14: under 10% of the pipeline's throughput).

    python bench/notify_routing.py [--routes 50] [--repeats 3]

In one run, paired and repeated: a real daemon's event throughput (bench/event_pipeline.py's runs) with no
`[notify]` section, and with a routing tree of `--routes` routes (matchers on kind, project, flow and
severity, nested, some with `continue`) to log receivers; every event passes the outbox's routing on its
way into the store. Then the tree alone: notices routed per second, against the daemon's raw event rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from event_pipeline import daemon_round  # type: ignore[import-not-found]

from contexten.daemon.platform.config import parse_config
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.routing import RouteTree


def routes_config(routes: int) -> str:
    out = "".join(f'[notify.receivers.r{i}]\nkind = "log"\n' for i in range(5))
    for i in range(routes // 2):
        out += (f'[[notify.routes]]\nreceiver = "r{i % 5}"\ncontinue = {"true" if i % 3 == 0 else "false"}\n'
                f'match = {{ project = ["p{i}"], severity = ["warning", "critical"] }}\n'
                f'  [[notify.routes.routes]]\n  match = {{ kind = ["run.failed"], flow = ["f{i}"] }}\n'
                f'  receiver = "r{(i + 1) % 5}"\n')  # fmt: skip
    return out + '[[notify.routes]]\nreceiver = "r0"\nmatch = { kind = ["alert"] }\n'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", type=int, default=50)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    config = routes_config(args.routes)
    plain, routed = [], []
    for _ in range(args.repeats):
        plain.append(daemon_round(args.runs, args.steps, 0)["rate"])
        routed.append(daemon_round(args.runs, args.steps, 0, extra=config)["rate"])
    tree = RouteTree.compile(parse_config(config, "bench.toml").notify, "bench.toml")
    mix = [("warning", "alert"), ("critical", "run.failed"), ("info", "run.completed")] * 400
    notices = [Notice("t", "", sev, kind, f"p{i % 40}", f"f{i % 40}") for i, (sev, kind) in enumerate(mix)]
    started = time.perf_counter()
    rounds = 0
    while time.perf_counter() - started < 2.0:
        for notice in notices:
            tree.deliveries(notice)
        rounds += 1
    per_second = rounds * len(notices) / (time.perf_counter() - started)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; {args.repeats} pairs, medians")
    print(f"daemon, {args.runs} runs x {args.steps} steps: no [notify] {statistics.median(plain):9,.0f} events/s, "
          f"{args.routes} routes {statistics.median(routed):9,.0f} events/s "
          f"= {statistics.median(routed) / statistics.median(plain):.2f} x  (target >= 0.90)")  # fmt: skip
    print(f"the tree alone: {per_second:,.0f} notices routed/s = {per_second / statistics.median(plain):.0f} x the "
          "daemon's event rate")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

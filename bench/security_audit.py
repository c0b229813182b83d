"""security_audit on a repository the size of pip's vendored packages, against osv-scanner-style raw
lookups measured in the same run.

    python bench/security_audit.py [--repeat 3]

The real path: a real daemon in a temporary home, the corpus pinned as a local project (bench/supply_corpus.py:
pip/_vendor, ~117k lines, its `vendor.txt` pins plus five old vulnerable ones), `[security] osv_api_url` at
the fake OSV on 127.0.0.1 serving real advisories (tests/fakes/osv_server.py). Timed from the run's start to
its end as the daemon records them: the inventory, the querybatch, each record fetched (kept in the store
for the next audit), every finding written with its events, the tracker issues filed (first audit only).

The raw baseline, in the same run against the same server: what osv-scanner does over the network for the
same package list, with httpx and nothing else: one `POST /v1/querybatch`, then `GET /v1/vulns/{id}` for
each advisory id (8 at a time), no store, no parsing of the records.

For the whole audit, the raw floor adds what the tree scan cannot do with less: `grep -rIE` over the tree
with the token shapes, `git log -p` of the same commits through the same grep, and a tree-sitter parse of
every source file (no queries, nothing kept).

Prints, median of `--repeat`: the audit of vulnerabilities only (`secrets=false code=false`) and the whole
audit (plus the secret scan of the tree and the last 200 commits, and the risky-code queries over every
file), the first audit and a repeated one (records unchanged: none fetched again), each as a ratio to raw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parents[1]))
sys.path.insert(0, str(Path(__file__).parent))
from real_daemon import real_daemon
from supply_corpus import make_corpus, python_lines
from tests.fakes.osv_server import FakeOSV

from contexten.analysis.deps.inventory import read_inventory
from contexten.analysis.languages import language_of, parser_for


async def raw_lookups(url: str, packages: list[tuple[str, str, str]]) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        queries = [{"package": {"ecosystem": e, "name": n}, "version": v} for e, n, v in packages]
        results = (await client.post("/v1/querybatch", json={"queries": queries})).json()["results"]
        ids = sorted({v["id"] for r in results for v in r.get("vulns", [])})
        gate = asyncio.Semaphore(8)

        async def get(vid: str) -> None:
            async with gate:
                (await client.get(f"/v1/vulns/{vid}")).raise_for_status()

        await asyncio.gather(*(get(i) for i in ids))
    return time.perf_counter() - start


SHAPES = (
    r"(AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abposr]-|AIza[0-9A-Za-z_-]{35}|PRIVATE KEY"
    r"|://[^/ :@]+:[^/ :@]+@"
)


def raw_scan(repo: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["grep", "-rIEc", SHAPES, "."], cwd=repo, capture_output=True, check=False)
    log = subprocess.run(["git", "log", "-n200", "-p", "--no-color"], cwd=repo, capture_output=True, check=True)
    subprocess.run(["grep", "-Ec", SHAPES], input=log.stdout, capture_output=True, check=False)
    for path in repo.rglob("*"):
        spec = language_of(path.name)
        if spec is not None and path.is_file():
            parser_for(spec).parse(path.read_bytes())
    return time.perf_counter() - start


def audit(env: dict[str, str], *params: str) -> float:
    args = [a for p in params for a in ("--param", p)]
    done = subprocess.run([sys.executable, "-m", "contexten", "run", "security_audit", "--project", "corpus", *args,
                           "--wait", "--json"], env=env, capture_output=True, text=True, timeout=1800)  # fmt: skip
    run = json.loads(done.stdout)
    if run["state"] not in ("COMPLETED", "FAILED") or (run["state"] == "FAILED" and "at or above" not in run["error"]):
        raise SystemExit(f"the audit did not run: {run.get('error')}")
    return float(run["ended_at"] - run["started_at"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxb-sec-") as tmp:
        repo = make_corpus(Path(tmp))
        packages = [(d.ecosystem, d.name, str(d.version)) for d in read_inventory(repo).audit_set()]
        osv = FakeOSV()
        with osv.running(), real_daemon(f'[security]\nosv_api_url = "{osv.url}"\n') as daemon:
            subprocess.run([sys.executable, "-m", "contexten", "pin", str(repo)], env=daemon.env, check=True,
                           capture_output=True)  # fmt: skip
            first_vulns = audit(daemon.env, "secrets=false", "code=false")
            fetched_first = len(osv.fetched)
            vulns = [audit(daemon.env, "secrets=false", "code=false") for _ in range(args.repeat)]
            refetched = len(osv.fetched) - fetched_first
            whole = [audit(daemon.env) for _ in range(args.repeat)]
            raw = [asyncio.run(raw_lookups(osv.url, packages)) for _ in range(args.repeat)]
            scans = [raw_scan(repo) for _ in range(args.repeat)]
        base = statistics.median(raw)
        floor = base + statistics.median(scans)
        print(f"corpus: pip/_vendor, {python_lines(repo)} lines of Python, {len(packages)} pinned packages, "
              f"{fetched_first} advisories")  # fmt: skip
        print(f"raw lookups (querybatch + GET each record)   {base * 1000:8.1f} ms")
        print(f"raw lookups + grep tree/history + parse      {floor * 1000:8.1f} ms")
        for label, t in (("first audit, vulnerabilities only", first_vulns),
                         ("repeat audit, vulnerabilities only", statistics.median(vulns))):  # fmt: skip
            print(f"{label:<45}{t * 1000:8.1f} ms   {t / base:6.2f}x raw lookups")
        t = statistics.median(whole)
        print(f"{'repeat audit, whole (secrets, history, code)':<45}{t * 1000:8.1f} ms   {t / floor:6.2f}x raw floor")
        print(f"records fetched again by {args.repeat} repeat audits: {refetched} (kept while `modified` is unchanged)")


if __name__ == "__main__":
    main()

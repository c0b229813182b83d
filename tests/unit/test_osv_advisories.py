"""The OSV adapter (issue 15) over real HTTP to the fake OSV: batches answered in order, per-result paging
followed to the end, records kept while `modified` is unchanged, errors named; and how a real record reads
for one dependency (severity from the CVSS vector or the database's word, the fixed version of the range
the version falls in)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contexten.analysis.deps.model import NPM, PYPI, Dependency
from contexten.common.clock import SystemClock
from contexten.daemon.slices.connectors.advisories.osv import OsvAdvisories
from contexten.daemon.slices.connectors.advisories.port import AdvisoryRef, PackageQuery
from contexten.daemon.slices.connectors.http.cache import HttpCache
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.http.json_service import JsonService
from contexten.daemon.slices.resilience.ports import Unguarded
from contexten.daemon.slices.security.vulnerabilities import vulnerability
from tests.fakes.osv_server import RECORDS, FakeOSV


@pytest.fixture
async def cache(tmp_path: Path) -> AsyncIterator[HttpCache]:
    kept = await HttpCache.open(tmp_path / "cache.db")
    yield kept
    await kept.close()


async def test_batches_in_order_with_paging_and_kept_records(cache: HttpCache) -> None:
    osv = FakeOSV()
    osv.page_size = 1  # every result past its first advisory comes by next_page_token
    with osv.running():
        http = JsonService("osv", osv.url, SystemClock(), Unguarded(), 10, cache)
        advisories = OsvAdvisories(http, cache, SystemClock())
        try:
            queries = [PackageQuery(PYPI, "requests", "2.19.0"), PackageQuery(PYPI, "nothing-known", "1.0"),
                       PackageQuery(NPM, "lodash", "4.17.15")]  # fmt: skip
            found = await advisories.affecting(queries)
            assert [sorted(r.id for r in refs) for refs in found] == [
                ["PYSEC-2018-28", "PYSEC-2023-74"],
                [],
                ["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"],
            ]
            assert osv.batches == [3, 2, 1]  # then only the queries that had a token
            ref = found[0][0]
            record = await advisories.record(ref)
            assert record["id"] == ref.id and "affected" in record
            assert await advisories.record(ref) == record and osv.fetched == [ref.id]  # unchanged: kept
            await advisories.record(AdvisoryRef(ref.id, "2030-01-01T00:00:00Z"))  # modified since: asked again
            assert osv.fetched == [ref.id, ref.id]
            with pytest.raises(ConnectorError, match="404 Vulnerability not found"):
                await advisories.record(AdvisoryRef("PYSEC-0000-0", ""))
        finally:
            await http.aclose()


def _record(vid: str) -> dict[str, object]:
    doc: dict[str, object] = json.loads((RECORDS / f"{vid}.json").read_text())
    return doc


def test_severity_and_fixed_version_from_real_records() -> None:
    v = vulnerability(_record("GHSA-xvch-5gv4-984h"), Dependency(NPM, "minimist", "1.2.5", "", "package-lock.json"))
    assert (v.severity, v.score, v.fixed) == ("critical", 9.8, "1.2.6")
    v = vulnerability(_record("GHSA-vh95-rmgr-6w4m"), Dependency(NPM, "minimist", "0.0.8", "", "x"))
    assert (v.severity, v.fixed) == ("medium", "0.2.1")
    v = vulnerability(_record("GHSA-4xc9-xhrj-v574"), Dependency(NPM, "lodash", "4.17.4", "", "x"))
    assert (v.severity, v.score, v.fixed) == ("high", None, "4.17.11")  # no vector: GHSA's own word
    v = vulnerability(_record("PYSEC-2023-74"), Dependency(PYPI, "Requests", "2.19.0", "", "x"))
    assert (v.severity, v.fixed) == ("unknown", "2.31.0")  # the ECOSYSTEM range, not the GIT one's commit
    v = vulnerability(_record("PYSEC-2023-212"), Dependency(PYPI, "urllib3", "2.0.3", "", "x"))
    assert (v.severity, v.score, v.fixed) == ("medium", 4.2, "2.0.7")  # CVE-2023-45803, as NVD scores it

"""OSV's API (`[security] osv_api_url`): `POST /v1/querybatch` for which advisories affect each package
(at most 1,000 queries a batch; a result with `next_page_token` is asked again, alone, with its token
until none comes back), then `GET /v1/vulns/{id}` for each record. No authentication."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import quote

from contexten.common.clock import Clock
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.advisories.port import Advisories, AdvisoryRef, PackageQuery
from contexten.daemon.slices.connectors.http.cache import HttpCache
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.http.json_service import JsonService

BATCH = 1000  # OSV's maxBatchQueries
MAX_PAGES = 50  # per query: past this the answer is not converging


class OsvAdvisories(Advisories):
    def __init__(self, http: JsonService, cache: HttpCache | None, clock: Clock) -> None:
        self.http = http
        self._cache = cache
        self._clock = clock
        self.fetched = 0  # records asked of OSV (the others were unchanged since kept)

    async def affecting(self, queries: list[PackageQuery]) -> list[list[AdvisoryRef]]:
        out: list[list[AdvisoryRef]] = [[] for _ in queries]
        for start in range(0, len(queries), BATCH):
            chunk = list(range(start, min(start + BATCH, len(queries))))
            tokens: dict[int, str | None] = dict.fromkeys(chunk)
            for _ in range(MAX_PAGES):
                asked = list(tokens)
                body = {"queries": [_query(queries[i], tokens[i]) for i in asked]}
                results = (await self.http.post("/v1/querybatch", body) or {}).get("results")
                if not isinstance(results, list) or len(results) != len(asked):
                    raise ConnectorError("osv", f"querybatch answered {len(results or [])} results for "
                                         f"{len(asked)} queries", FailureClass.TRANSIENT_NETWORK)  # fmt: skip
                tokens = {}
                for i, result in zip(asked, results, strict=True):
                    for v in (result or {}).get("vulns") or []:
                        if isinstance(v, dict) and isinstance(v.get("id"), str):
                            out[i].append(AdvisoryRef(v["id"], str(v.get("modified", ""))))
                    if (result or {}).get("next_page_token"):
                        tokens[i] = str(result["next_page_token"])
                if not tokens:
                    break
        return out

    async def record(self, ref: AdvisoryRef) -> dict[str, Any]:
        # OSV's docs: compare `modified` with a kept copy to skip unchanged records.
        key = f"osv-record:{ref.id}"
        kept = await self._cache.get(key) if self._cache is not None else None
        if kept is not None and ref.modified and kept.etag == ref.modified:
            with contextlib.suppress(ValueError):
                doc = json.loads(kept.body)
                if isinstance(doc, dict):
                    return doc
        data = await self.http.get(f"/v1/vulns/{quote(ref.id, safe='')}")
        self.fetched += 1
        if not isinstance(data, dict) or data.get("id") != ref.id:
            raise ConnectorError("osv", f"/v1/vulns/{ref.id} answered another record", FailureClass.VALIDATION)
        if self._cache is not None:
            modified = str(data.get("modified") or ref.modified)
            await self._cache.put(key, modified, None, json.dumps(data).encode(), self._clock.now())
        return data


def _query(q: PackageQuery, token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"package": {"name": q.name, "ecosystem": q.ecosystem}, "version": q.version}
    if token:
        body["page_token"] = token
    return body

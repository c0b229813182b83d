"""A fake OSV API on 127.0.0.1, answering from real advisories (tests/fixtures/osv/vulns, copied from
../shared/fixtures/osv) the way OSV documents (tests/fixtures/osv/README.md, ../shared/fixtures/osv/API.md):

- `POST /v1/querybatch`: at most 1,000 queries, each `{package: {name, ecosystem}, version}` with the
  ecosystem spelled exactly (`PyPI`, `npm`); `results[i]` answers `queries[i]` with `{id, modified}` only;
  no match is `{}`. With `page_size`, a result past it carries `next_page_token`, answered by the same
  query sent again with `page_token`.
- `GET /v1/vulns/{id}`: the whole record, or 404 `{code: 5, message: "Vulnerability not found"}`.
- Errors are `{code, message}` (INVALID_ARGUMENT is 400 with code 3).

Matching is its own (the `versions` list when a record has one, else ECOSYSTEM ranges compared by PEP
440 / dotted integers), not the daemon's: the two must agree for a test to pass."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from tests.fakes.loopback import LoopbackServer, QuietHandler

RECORDS = Path(__file__).parent.parent / "fixtures" / "osv" / "vulns"


def load_records() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(RECORDS.glob("*.json"))}


class FakeOSV:
    def __init__(self, records: dict[str, dict[str, Any]] | None = None) -> None:
        self.records = records if records is not None else load_records()
        self.page_size: int | None = None
        self.batches: list[int] = []  # queries per querybatch call
        self.fetched: list[str] = []  # ids asked of /v1/vulns
        self.down = False
        self.lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                fake._post(self)

            def do_GET(self) -> None:
                fake._get(self)

        self._server = LoopbackServer(Handler)
        self.url = self._server.url

    def running(self) -> Any:
        return self._server.running()

    def _post(self, h: Any) -> None:
        raw = h.rfile.read(int(h.headers.get("content-length") or 0))
        if self.down:
            return _error(h, 503, 14, "unavailable")
        if h.path != "/v1/querybatch":
            return _error(h, 404, 5, "not found")
        try:
            queries = json.loads(raw)["queries"]
        except (ValueError, KeyError, TypeError):
            return _error(h, 400, 3, "invalid body")
        if len(queries) > 1000:
            return _error(h, 400, 3, "too many queries")
        with self.lock:
            self.batches.append(len(queries))
        results = []
        for i, q in enumerate(queries):
            package, version = (q or {}).get("package") or {}, (q or {}).get("version")
            if not isinstance(package.get("name"), str) or not isinstance(package.get("ecosystem"), str) or not version:
                return _error(h, 400, 3, f"error in query at index {i}: unknown query type")
            hits = [{"id": r["id"], "modified": r["modified"]} for r in self.records.values()
                    if _affects(r, package["ecosystem"], package["name"], str(version))]  # fmt: skip
            start = int(q.get("page_token") or 0)
            page = hits[start : start + self.page_size] if self.page_size else hits
            result: dict[str, Any] = {"vulns": page} if page else {}
            if self.page_size and start + self.page_size < len(hits):
                result["next_page_token"] = str(start + self.page_size)
            results.append(result)
        _json(h, 200, {"results": results})

    def _get(self, h: Any) -> None:
        if self.down:
            return _error(h, 503, 14, "unavailable")
        prefix = "/v1/vulns/"
        if not h.path.startswith(prefix):
            return _error(h, 404, 5, "not found")
        vid = h.path[len(prefix) :]
        with self.lock:
            self.fetched.append(vid)
        record = self.records.get(vid)
        if record is None:
            return _error(h, 404, 5, "Vulnerability not found")
        _json(h, 200, record)


def _affects(record: dict[str, Any], ecosystem: str, name: str, version: str) -> bool:
    for a in record.get("affected", []):
        pkg = a.get("package", {})
        if pkg.get("ecosystem") != ecosystem or _norm(ecosystem, pkg.get("name", "")) != _norm(ecosystem, name):
            continue
        if a.get("versions"):
            if version in a["versions"]:
                return True
            continue
        for r in a.get("ranges", []):
            if r.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            start = None
            for e in r.get("events", []):
                if "introduced" in e:
                    start = e["introduced"]
                elif "fixed" in e or "last_affected" in e:
                    end, inclusive = (e["fixed"], False) if "fixed" in e else (e["last_affected"], True)
                    if (
                        start is not None
                        and _le(ecosystem, start, version)
                        and (_le(ecosystem, version, end) if inclusive else _lt(ecosystem, version, end))
                    ):
                        return True
                    start = None
            if start is not None and _le(ecosystem, start, version):
                return True
    return False


def _norm(ecosystem: str, name: str) -> str:
    return name.lower().replace("_", "-") if ecosystem == "PyPI" else name


def _key(ecosystem: str, v: str) -> Any:
    if v == "0":
        return (0,) if ecosystem != "PyPI" else Version("0")
    if ecosystem == "PyPI":
        try:
            return Version(v)
        except InvalidVersion:
            return Version("0")
    return tuple(int(p) if p.isdigit() else 0 for p in v.split("-")[0].split("."))


def _lt(eco: str, a: str, b: str) -> bool:
    return bool(_key(eco, a) < _key(eco, b))


def _le(eco: str, a: str, b: str) -> bool:
    return bool(_key(eco, a) <= _key(eco, b))


def _json(h: Any, status: int, body: Any) -> None:
    h.reply(status, json.dumps(body).encode(), {"content-type": "application/json"})


def _error(h: Any, status: int, code: int, message: str) -> None:
    _json(h, status, {"code": code, "message": message})

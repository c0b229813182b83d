"""PyPI's JSON API (`GET /pypi/<name>/json`: `releases` keyed by version, a release whose every file is
yanked is left out) and the npm registry (`GET /<name>`: the packument's `versions`, a scoped name's `/`
escaped as npm documents). Both conditional through the HTTP cache."""

from __future__ import annotations

from urllib.parse import quote

from contexten.analysis.deps.model import NPM, PYPI
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.http.json_service import JsonService
from contexten.daemon.slices.connectors.registries.port import Registry


class PyPIRegistry(Registry):
    ecosystem = PYPI

    def __init__(self, http: JsonService) -> None:
        self.http = http

    async def versions(self, name: str) -> list[str] | None:
        doc = await _get(self.http, f"/pypi/{quote(name, safe='')}/json")
        if doc is None:
            return None
        releases = doc.get("releases")
        if isinstance(releases, dict):
            return [v for v, files in releases.items()
                    if not (isinstance(files, list) and files and all(f.get("yanked") for f in files))]  # fmt: skip
        latest = (doc.get("info") or {}).get("version")
        return [latest] if isinstance(latest, str) else []


class NpmRegistry(Registry):
    ecosystem = NPM

    def __init__(self, http: JsonService) -> None:
        self.http = http

    async def versions(self, name: str) -> list[str] | None:
        doc = await _get(self.http, "/" + quote(name, safe="@"))
        if doc is None:
            return None
        versions = doc.get("versions")
        return [v for v, meta in versions.items() if not (isinstance(meta, dict) and meta.get("deprecated"))] \
            if isinstance(versions, dict) else []  # fmt: skip


async def _get(http: JsonService, path: str) -> dict | None:  # type: ignore[type-arg]
    try:
        doc = await http.get(path)
    except ConnectorError as exc:
        if exc.status == 404:
            return None
        raise
    return doc if isinstance(doc, dict) else {}

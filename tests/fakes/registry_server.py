"""A fake PyPI JSON API and npm registry on 127.0.0.1, answering with real recorded documents
(tests/fixtures/registries, from ../shared/fixtures/registries): `GET /pypi/<name>/json` and `GET /<name>`
(a scoped name's `/` escaped as `%2F`), each with an ETag and a 304 to a matching If-None-Match, 404 for
an unknown package (PyPI `{"message": "Not Found"}`, npm `{"error": "Not found"}`).

A test can add its own packages (`pypi_package` / `npm_package` build documents of the same shape)."""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.fakes.loopback import LoopbackServer, QuietHandler

FIXTURES = Path(__file__).parent.parent / "fixtures" / "registries"


def recorded(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return doc


def pypi_package(name: str, versions: list[str], yanked: tuple[str, ...] = ()) -> dict[str, Any]:
    """A PyPI JSON answer shaped as the recorded luigi one: `info` of the newest, `releases` by version."""
    doc = copy.deepcopy(recorded("pypi-luigi.json"))
    template = next(iter(doc["releases"].values()))[0]
    doc["info"] = {**doc["info"], "name": name, "version": versions[-1]}
    doc["releases"] = {v: [{**template, "filename": f"{name}-{v}.tar.gz", "yanked": v in yanked}] for v in versions}
    return doc


def npm_package(name: str, versions: list[str]) -> dict[str, Any]:
    doc = copy.deepcopy(recorded("npm-lodash.json"))
    template = next(iter(doc["versions"].values()))
    doc.update({"_id": name, "name": name, "dist-tags": {"latest": versions[-1]},
                "versions": {v: {**template, "name": name, "version": v} for v in versions}})  # fmt: skip
    return doc


class FakeRegistries:
    def __init__(self) -> None:
        self.pypi: dict[str, dict[str, Any]] = {"luigi": recorded("pypi-luigi.json"),
                                                "celery": recorded("pypi-celery.json")}  # fmt: skip
        self.npm: dict[str, dict[str, Any]] = {"lodash": recorded("npm-lodash.json")}
        self.requests: list[tuple[str, int]] = []  # (path, status answered)
        self.down = False
        self.lock = threading.Lock()
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                fake._get(self)

        self._server = LoopbackServer(Handler)
        self.url = self._server.url

    def running(self) -> Any:
        return self._server.running()

    def statuses(self, path: str) -> list[int]:
        with self.lock:
            return [s for p, s in self.requests if p == path]

    def _get(self, h: Any) -> None:
        if self.down:
            return self._answer(h, 503, {"message": "unavailable"})
        path = h.path
        if path.startswith("/pypi/") and path.endswith("/json"):
            doc = self.pypi.get(unquote(path[len("/pypi/") : -len("/json")]).lower())
            missing: dict[str, Any] = {"message": "Not Found"}
        else:
            doc = self.npm.get(unquote(path[1:]))
            missing = {"error": "Not found"}
        if doc is None:
            return self._answer(h, 404, missing)
        body = json.dumps(doc).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if h.headers.get("if-none-match") == etag:
            with self.lock:
                self.requests.append((path, 304))
            h.reply(304, b"", {"etag": etag})
            return
        with self.lock:
            self.requests.append((path, 200))
        h.reply(200, body, {"content-type": "application/json", "etag": etag})

    def _answer(self, h: Any, status: int, body: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append((h.path, status))
        h.reply(status, json.dumps(body).encode(), {"content-type": "application/json"})

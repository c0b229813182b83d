"""A stateful repository for the fake GitHub: pull requests over a real bare git repository (the
project's `origin`). Opening a pull request reads its head from the repository; merging it (`PUT
.../merge` with the checked `sha`, refused with 409 if the head moved, 405 if it conflicts) makes a real
`--no-ff` merge commit on the base branch there, as GitHub does. Check runs are what the test configures
for every commit. The answers are the recorded webhook payloads' objects with these values put in, so
they keep GitHub's shapes.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.github_server import FakeGitHub, Recorded, payload

GIT_ENV = {"GIT_AUTHOR_NAME": "GitHub", "GIT_AUTHOR_EMAIL": "noreply@github.invalid", "GIT_COMMITTER_NAME": "GitHub",
           "GIT_COMMITTER_EMAIL": "noreply@github.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitHubRepo:
    def __init__(self, server: FakeGitHub, bare: Path, full_name: str = "acme/app",
                 checks: dict[str, str] | None = None) -> None:  # fmt: skip
        self.server = server
        self.bare = bare
        self.full_name = full_name
        self.base = f"/repos/{full_name}"
        self.checks = checks if checks is not None else {"ci": "success"}  # name -> conclusion, for every commit
        self.pulls: dict[int, dict[str, Any]] = {}
        self.comments: list[tuple[int, str]] = []
        self.merges: list[tuple[int, str]] = []  # (number, the sha the merge was pinned to)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        opened = payload("pull_request.opened")
        self._pr_template, self._repo_template = opened["pull_request"], opened["repository"]
        self._check_template = payload("check_run.completed")["check_run"]
        server.dynamic = self.answer

    def git(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(["git", *args], cwd=cwd or self.bare, check=True, capture_output=True, text=True,
                              env=GIT_ENV).stdout.strip()  # fmt: skip

    def _sha(self, branch: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", f"refs/heads/{branch}^{{commit}}")
        except subprocess.CalledProcessError:
            return None

    # ---- answering ---------------------------------------------------------------------------------

    def answer(self, method: str, path: str, body: bytes) -> Recorded | None:
        url = urlsplit(path)
        if not url.path.startswith(self.base):
            return None
        rest, query = url.path[len(self.base) :], parse_qs(url.query)
        doc = json.loads(body) if body else {}
        with self._lock:
            status, out = self._route(method, rest, query, doc)
        if status == 0:
            return None
        text = json.dumps(out).replace("https://api.github.com", self.server.url)
        return Recorded(status, text.encode(), {"content-type": "application/json; charset=utf-8"})

    def _route(self, method: str, rest: str, query: dict[str, list[str]], doc: dict[str, Any]) -> tuple[int, Any]:
        parts = rest.strip("/").split("/") if rest.strip("/") else []
        match method, parts:
            case "GET", []:
                return 200, {**self._repo_template, "full_name": self.full_name, "name": self.full_name.split("/")[1],
                             "default_branch": "main"}  # fmt: skip
            case "GET", ["pulls"]:
                state = query.get("state", ["open"])[0]
                listed = [self._fresh(p) for p in sorted(self.pulls.values(), key=lambda p: -p["number"])]
                return 200, [p for p in listed if state == "all" or p["state"] == state]
            case "POST", ["pulls"]:
                return self._open(doc)
            case "GET", ["pulls", number] if int(number) in self.pulls:
                return 200, self._fresh(self.pulls[int(number)])
            case "PATCH", ["pulls", number] if int(number) in self.pulls:
                pr = self.pulls[int(number)]
                if doc.get("state") == "closed" and pr["merged_at"] is None:
                    pr.update(state="closed", closed_at=_now(), updated_at=_now())
                return 200, self._fresh(pr)
            case "PUT", ["pulls", number, "merge"] if int(number) in self.pulls:
                return self._merge(self.pulls[int(number)], doc.get("sha"))
            case "GET", ["commits", sha, "check-runs"]:
                runs = [{**self._check_template, "id": n + 1, "name": name, "head_sha": sha, "status": "completed",
                         "conclusion": result} for n, (name, result) in enumerate(self.checks.items())]  # fmt: skip
                return 200, {"total_count": len(runs), "check_runs": runs}
            case "GET", ["commits", _, "status"]:
                return 200, {"state": "success", "statuses": []}
            case "POST", ["issues", number, "comments"]:
                self.comments.append((int(number), doc.get("body", "")))
                return 201, {"id": len(self.comments), "body": doc.get("body", "")}
            case "GET", ["actions", "runs"]:
                return 200, {"total_count": 0, "workflow_runs": []}
            case "GET", ["issues"]:
                return 200, []
        return 0, None

    def _fresh(self, pr: dict[str, Any]) -> dict[str, Any]:
        """An open pull request's head follows its branch (a push moves it), as on GitHub."""
        if pr["state"] == "open":
            sha = self._sha(pr["head"]["ref"])
            if sha and sha != pr["head"]["sha"]:
                pr["head"] = {**pr["head"], "sha": sha}
                pr["updated_at"] = _now()
        return pr

    def _open(self, doc: dict[str, Any]) -> tuple[int, Any]:
        head, base = doc.get("head", ""), doc.get("base", "")
        sha, base_sha = self._sha(head), self._sha(base)
        if sha is None or base_sha is None:
            return 422, {"message": "Validation Failed", "errors": [{"resource": "PullRequest", "field": "head",
                                                                     "code": "invalid"}]}  # fmt: skip
        if any(p["head"]["ref"] == head and p["state"] == "open" for p in self.pulls.values()):
            return 422, {"message": "Validation Failed", "errors": [
                {"message": f"A pull request already exists for acme:{head}."}]}  # fmt: skip
        number = next(self._numbers)
        pr = {**self._pr_template, "number": number, "id": 1000 + number, "title": doc.get("title", ""),
              "body": doc.get("body", ""), "state": "open", "merged_at": None, "closed_at": None, "merged": False,
              "draft": False, "labels": [], "requested_reviewers": [], "created_at": _now(), "updated_at": _now(),
              "html_url": f"https://github.com/{self.full_name}/pull/{number}",
              "head": {**self._pr_template["head"], "ref": head, "sha": sha},
              "base": {**self._pr_template["base"], "ref": base, "sha": base_sha}}  # fmt: skip
        self.pulls[number] = pr
        return 201, pr

    def _merge(self, pr: dict[str, Any], sha: str | None) -> tuple[int, Any]:
        self._fresh(pr)
        if pr["state"] != "open":
            return 405, {"message": "Pull Request is not mergeable"}
        if sha is not None and sha != pr["head"]["sha"]:
            return 409, {"message": "Head branch was modified. Review and try the merge again."}
        head, base = pr["head"]["ref"], pr["base"]["ref"]
        with tempfile.TemporaryDirectory(prefix="gh-merge-") as work:
            tree = Path(work)
            self.git("clone", "-q", "--branch", base, str(self.bare), ".", cwd=tree)
            self.git("fetch", "-q", "origin", f"refs/heads/{head}", cwd=tree)
            try:
                self.git("merge", "--no-ff", "-m", f"Merge pull request #{pr['number']} from {head}", "FETCH_HEAD",
                         cwd=tree)  # fmt: skip
            except subprocess.CalledProcessError:
                return 405, {"message": "Pull Request is not mergeable"}
            self.git("push", "-q", "origin", f"HEAD:refs/heads/{base}", cwd=tree)
            merged = self.git("rev-parse", "HEAD", cwd=tree)
        pr.update(state="closed", merged=True, merged_at=_now(), closed_at=_now(), updated_at=_now(),
                  merge_commit_sha=merged)  # fmt: skip
        self.merges.append((pr["number"], pr["head"]["sha"]))
        return 200, {"sha": merged, "merged": True, "message": "Pull Request successfully merged"}

"""Leaked secrets (issue 15): documented token shapes, high-entropy values given to credential names,
placeholders and the allowlist marker left alone, history read by line, and never the value kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

from contexten.analysis.security.scan import scan_history, scan_tree
from contexten.analysis.security.secrets import entropy, scan_patch, scan_text

TOKEN = "ghp_" + "x7Kq2LmN9pR4sT6vW8yZ1aB3cD5eF0gH2iJ4"
ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip


def test_shapes_and_credentials_found_placeholders_not() -> None:
    text = "\n".join([
        'aws = "AKIA2E0A8F3B244C9986"',
        f"token: {TOKEN}",
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        'DATABASE_URL = "postgres://app:s3cr3t-Pa55@db.internal:5432/app"',
        'client_secret = "q8Zr1vX0bN5mK2jH7gT4fD9s"',
        'password = "changeme-changeme"',
        'api_key = "${API_KEY_FROM_ENVIRONMENT}"',
        'secret = "aaaaaaaaaaaaaaaaaaaa"',
        'token = "AKIAZZZZ8F3B244C0000"  # pragma: allowlist secret',
        'name = "q8Zr1vX0bN5mK2jH7gT4fD9s"',
    ])  # fmt: skip
    found = [(f.kind, f.line) for f in scan_text("settings.py", text)]
    assert found == [("aws-access-key-id", 1), ("github-token", 2), ("private-key", 3), ("url-with-password", 4),
                     ("high-entropy-credential", 5)]  # fmt: skip


def test_a_finding_holds_a_fingerprint_never_the_value() -> None:
    (finding,) = scan_text("a.env", f"GH={TOKEN}\n")
    assert TOKEN not in repr(finding) and TOKEN[4:] not in finding.describe()
    assert finding.fingerprint == scan_text("b.env", f"other {TOKEN}")[0].fingerprint  # the same leak, anywhere


def test_entropy() -> None:
    assert entropy("aaaa") == 0.0 and round(entropy("abcd"), 6) == 2.0


def test_patch_lines_are_numbered_as_in_the_new_file() -> None:
    patch = "\n".join(["commit:abc123", "diff --git a/x.py b/x.py", "--- a/x.py", "+++ b/x.py", "@@ -1,3 +1,4 @@",
                       " one", "-two", f"+KEY = '{TOKEN}'", " three", "commit:def456", "+++ /dev/null"])  # fmt: skip
    (finding,) = scan_patch(patch)
    assert (finding.path, finding.line, finding.commit, finding.kind) == ("x.py", 2, "abc123", "github-token")


def test_tree_and_history_of_a_real_repository(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, env=ENV, capture_output=True)

    git("init", "-q", "-b", "main")
    (tmp_path / "deploy.sh").write_text(f"echo one\nexport GITHUB_TOKEN={TOKEN}\n")
    (tmp_path / "package-lock.json").write_text('{"integrity": "sha512-q8Zr1vX0bN5mK2jH7gT4fD9s", "token": "x"}')
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\0\0AKIA2E0A8F3B244C9986")
    git("add", ".")
    git("commit", "-qm", "one")
    (tmp_path / "deploy.sh").write_text("echo one\n")
    git("commit", "-qam", "two")
    tree = scan_tree(str(tmp_path))
    assert tree.secrets == [] and tree.files == 1  # the lockfile and the binary are not read
    (past,) = scan_history(str(tmp_path), 10)
    assert (past.path, past.line, past.kind) == ("deploy.sh", 2, "github-token") and past.commit
    assert scan_history(str(tmp_path), 1) == []  # the newest commit only removed it

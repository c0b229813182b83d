"""Reading manifests and lockfiles (issue 15): each format's real shape, what is direct and what is only
locked, the version in use, and a broken file named rather than fatal."""

from __future__ import annotations

import json
from pathlib import Path

from contexten.analysis.deps.inventory import read_inventory
from contexten.analysis.deps.model import CRATES, GO, NPM, PYPI


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_python_requirements_pyproject_and_locks(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "requirements.txt": "# pinned\nrequests==2.19.0\n-r requirements-dev.txt\nJinja2 >=2.10\n-e .\n"
                            "git+https://example.invalid/x.git#egg=x\nurllib3[socks]==1.24.1 ; python_version > '3'\n",
        "requirements-dev.txt": "pytest==8.0.0\n",
        "pyproject.toml": '[project]\nname = "app"\ndependencies = ["httpx>=0.28,<1", "PyYAML==5.3"]\n'
                          '[project.optional-dependencies]\ndev = ["ruff==0.8.0"]\n'
                          '[tool.poetry.dependencies]\npython = "^3.11"\ncelery = "4.3.0"\n'
                          'luigi = { version = "^3.0" }\n',
        "uv.lock": 'version = 1\n[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n'
                   '[[package]]\nname = "httpx"\nversion = "0.28.1"\n'
                   'source = { registry = "https://pypi.org/simple" }\n',
        "sub/poetry.lock": '[[package]]\nname = "luigi"\nversion = "3.5.0"\n',
    })  # fmt: skip
    inv = read_inventory(root)
    assert inv.problems == []
    assert sorted(inv.files) == ["pyproject.toml", "requirements-dev.txt", "requirements.txt", "sub/poetry.lock",
                                 "uv.lock"]  # fmt: skip
    direct = {(d.name, d.version, d.spec, d.source, d.line) for d in inv.direct}
    assert ("requests", "2.19.0", "==2.19.0", "requirements.txt", 2) in direct
    assert ("Jinja2", None, ">=2.10", "requirements.txt", 4) in direct
    assert ("urllib3", "1.24.1", "==1.24.1", "requirements.txt", 7) in direct
    assert ("pytest", "8.0.0", "==8.0.0", "requirements-dev.txt", 1) in direct
    assert [d.name for d in inv.direct].count("pytest") == 1  # read through `-r` once, not again on its own
    assert ("celery", "4.3.0", "4.3.0", "pyproject.toml", 8) in direct
    assert ("luigi", None, "^3.0", "pyproject.toml", 9) in direct
    assert not any(d.name in ("x", "python") for d in inv.direct)
    assert {(d.name, d.version) for d in inv.locked} == {("httpx", "0.28.1"), ("luigi", "3.5.0")}  # not "app"
    in_use = {d.name: d.version for d in inv.in_use()}
    assert in_use["httpx"] == "0.28.1" and in_use["luigi"] == "3.5.0" and in_use["PyYAML"] == "5.3"
    assert "Jinja2" not in in_use  # a range and no lock: nothing says what runs
    audited = {(d.ecosystem, d.name, d.version) for d in inv.audit_set()}
    assert (PYPI, "httpx", "0.28.1") in audited and (PYPI, "requests", "2.19.0") in audited


def test_npm_lockfile_versions_one_and_three(tmp_path: Path) -> None:
    v3 = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "web"},
            "node_modules/lodash": {"version": "4.17.15"},
            "node_modules/a/node_modules/@scope/b": {"version": "1.0.0"},
            "node_modules/ws": {"link": True},
        },
    }
    v1 = {"lockfileVersion": 1, "dependencies": {"minimist": {"version": "1.2.5", "dependencies": {
          "deep": {"version": "0.1.0"}}}}}  # fmt: skip
    root = _write(tmp_path, {
        "web/package.json": json.dumps({"dependencies": {"lodash": "^4.17.15"}, "devDependencies": {"jest": "29.7.0"}},
                                       indent=2),
        "web/package-lock.json": json.dumps(v3), "old/package-lock.json": json.dumps(v1),
    })  # fmt: skip
    inv = read_inventory(root)
    assert {(d.name, d.version, d.spec, d.line) for d in inv.direct} == {("lodash", None, "^4.17.15", 3),
                                                                         ("jest", "29.7.0", "29.7.0", 6)}  # fmt: skip
    assert {(d.ecosystem, d.name, d.version) for d in inv.locked} == {
        (NPM, "lodash", "4.17.15"),
        (NPM, "@scope/b", "1.0.0"),
        (NPM, "minimist", "1.2.5"),
        (NPM, "deep", "0.1.0"),
    }
    assert {d.name: d.version for d in inv.in_use()} == {"lodash": "4.17.15", "jest": "29.7.0"}


def test_go_and_cargo(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "go.mod": "module example.com/m\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\n\nrequire (\n"
                  "\tgolang.org/x/net v0.17.0\n\tgithub.com/x/y v1.2.3 // indirect\n)\n",
        "Cargo.toml": '[package]\nname = "c"\n[dependencies]\nserde = "1.0"\nlocal = { path = "../l" }\n'
                      'regex = { version = "=1.9.0" }\n',
        "Cargo.lock": '[[package]]\nname = "serde"\nversion = "1.0.190"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n'
                      '[[package]]\nname = "c"\nversion = "0.1.0"\n',
    })  # fmt: skip
    inv = read_inventory(root)
    go = {(d.name, d.version, d.direct, d.line) for d in inv.direct if d.ecosystem == GO}
    assert go == {("github.com/pkg/errors", "v0.9.1", True, 5), ("golang.org/x/net", "v0.17.0", True, 8),
                  ("github.com/x/y", "v1.2.3", False, 9)}  # fmt: skip
    crates = {(d.name, d.version, d.spec) for d in inv.direct if d.ecosystem == CRATES}
    assert crates == {("serde", None, "1.0"), ("regex", "1.9.0", "=1.9.0")}
    assert {(d.name, d.version) for d in inv.locked} == {("serde", "1.0.190")}  # not the workspace's own crate


def test_a_broken_manifest_is_named_and_the_rest_still_read(tmp_path: Path) -> None:
    files = {"package.json": "{not json", "Cargo.toml": "[dependencies\n", "requirements.txt": "requests==2.19.0\n",
             "node_modules/x/package.json": "{}"}  # fmt: skip
    root = _write(tmp_path, files)
    inv = read_inventory(root)
    assert [p.split(":")[0] for p in sorted(inv.problems)] == ["Cargo.toml", "package.json"]
    assert "not valid JSON" in " ".join(inv.problems) and "not valid TOML" in " ".join(inv.problems)
    assert [d.name for d in inv.direct] == ["requests"]  # node_modules is never read

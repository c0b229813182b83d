"""The Start Flow's gates that need no repository: allowed paths and the complexity limit."""

from __future__ import annotations

from pathlib import Path

from contexten.daemon.platform.config import QualityThresholds
from contexten.daemon.slices.delivery.gates import complexity_problems, outside, trim


def test_files_outside_the_allowed_paths_are_named() -> None:
    files = ["src/auth/login.py", "src/auth/deep/x.py", "src/billing.py", "README.md"]
    assert outside(files, ["src/auth"]) == ["src/billing.py", "README.md"]
    assert outside(files, ["src/auth/*", "*.md"]) == ["src/billing.py"]


def test_a_function_over_max_ccn_in_a_changed_file_is_named(tmp_path: Path) -> None:
    branches = "\n".join(f"    if x == {n}:\n        return {n}" for n in range(6))
    (tmp_path / "m.py").write_text(f"def tangled(x):\n{branches}\n    return -1\n\ndef plain():\n    return 1\n")
    (tmp_path / "notes.txt").write_text("not code")
    problems = complexity_problems(str(tmp_path), ["m.py", "notes.txt", "gone.py"], QualityThresholds(max_ccn=3))
    assert len(problems) == 1 and problems[0].startswith("m.py:1 tangled has complexity 7")
    assert complexity_problems(str(tmp_path), ["m.py"], QualityThresholds(max_ccn=0)) == []  # 0: no limit


def test_output_is_trimmed_to_its_end() -> None:
    assert trim("a" * 10 + "END", 5) == "…aaEND" and trim("  short \n", 5) == "short"

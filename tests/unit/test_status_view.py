"""`contexten status` reads the daemon's answer without pydantic: its check must accept every `StatusInfo`
and refuse, by field, what is not one."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contexten.cli.status_view import status_lines
from contexten.common.errors import ProtocolError
from contexten.common.models import Project
from contexten.common.protocol import StatusInfo

names = st.from_regex(r"[a-z0-9][a-z0-9_./-]{0,11}", fullmatch=True)
health = st.sampled_from(["ok", "warning", "failing", "unknown"])
projects = st.builds(Project, id=names, name=names, kind=st.sampled_from(["local", "github"]), location=names,
                     pinned_at=st.floats(0, 2e9), health=health)  # fmt: skip
infos = st.builds(
    StatusInfo, version=names, pid=st.integers(1, 2**22), instance=names, started_at=st.floats(0, 2e9),
    uptime_seconds=st.floats(0, 1e7), home=names, projects=st.lists(projects, max_size=4),
    runs_by_state=st.dictionaries(st.sampled_from(["RUNNING", "COMPLETED", "FAILED"]), st.integers(0, 10**6)),
    last_seq=st.integers(0, 2**40),
)  # fmt: skip


@given(infos)
def test_every_status_info_reads_and_every_project_and_count_is_printed(info: StatusInfo) -> None:
    lines = status_lines(info.model_dump(mode="json"))
    assert lines[0].startswith(f"contexten {info.version}  pid {info.pid}  ")
    assert f"events: {info.last_seq} " in lines[1]
    for state, count in info.runs_by_state.items():
        assert f"{state} {count}" in lines[1]
    assert len(lines) == 3 + len(info.projects)
    for line, project in zip(lines[3:], info.projects, strict=True):
        assert line.split() == [project.id, project.kind, project.health, project.location]


GOOD: dict[str, Any] = StatusInfo(
    version="0.6.0", pid=42, instance="i", started_at=1.0, uptime_seconds=3.0, home="/h", last_seq=7,
    runs_by_state={"COMPLETED": 2},
    projects=[Project(id="p", name="p", kind="local", location="/p", pinned_at=1.0)],
).model_dump(mode="json")  # fmt: skip


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("version",), 3, "version is not text"),
        (("pid",), "42", "pid is not an integer"),
        (("pid",), True, "pid is not an integer"),
        (("uptime_seconds",), None, "uptime_seconds is not a number"),
        (("last_seq",), 1.5, "last_seq is not an integer"),
        (("runs_by_state",), [], "runs_by_state is not an object"),
        (("runs_by_state", "COMPLETED"), "two", "runs_by_state.COMPLETED is not an integer"),
        (("projects",), {}, "projects is not a list"),
        (("projects", 0), "p", "projects[0] is not an object"),
        (("projects", 0, "location"), None, "projects[0].location is not text"),
    ],
)
def test_an_answer_that_is_not_a_status_is_refused_naming_the_field(path: tuple[Any, ...], value: Any,
                                                                    named: str) -> None:  # fmt: skip
    doc = copy.deepcopy(GOOD)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ProtocolError, match=named.replace("[", r"\[").replace("]", r"\]")):
        status_lines(doc)


def test_a_missing_field_is_named_and_a_non_object_answer_is_refused() -> None:
    doc = copy.deepcopy(GOOD)
    del doc["home"]
    with pytest.raises(ProtocolError, match="home is not text"):
        status_lines(doc)
    with pytest.raises(ProtocolError, match=r"\(answer\) is not an object"):
        status_lines(["status"])

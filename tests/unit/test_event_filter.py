"""The events view's filter: kind prefixes, projects, runs and words, all required."""

from __future__ import annotations

from contexten.common.event_filter import EventFilter
from contexten.common.models import Event

RUN_FAILED = Event(seq=1, ts=0.0, kind="run.state", run=3, project="api", data={"state": "FAILED", "error": "boom"})
STEP = Event(seq=2, ts=0.0, kind="step.state", run=3, project="api", data={"state": "RUNNING"})
OTHER = Event(seq=3, ts=0.0, kind="run.state", run=4, project="web", data={"state": "COMPLETED"})


def test_each_part_of_the_filter_must_hold() -> None:
    f = EventFilter.parse("kind:run project:api run:#3 boom")
    assert (f.kinds, f.projects, f.runs, f.words) == (("run",), ("api",), (3,), ("boom",))
    assert f.admits(RUN_FAILED) and not f.admits(STEP) and not f.admits(OTHER)
    assert EventFilter.parse("").admits(OTHER)
    assert [e.seq for e in (RUN_FAILED, STEP, OTHER) if EventFilter.parse("run:3").admits(e)] == [1, 2]
    assert EventFilter.parse("COMPLETED").admits(OTHER) and not EventFilter.parse("completed web x").admits(OTHER)


def test_a_malformed_part_is_a_word_not_an_error() -> None:
    f = EventFilter.parse("run:abc kind: project:")
    assert f.runs == () and f.kinds == () and f.words == ("run:abc", "kind:", "project:")

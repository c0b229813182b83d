"""The routing tree's rules, as Alertmanager documents them, on examples and as properties of random trees."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config import parse_config
from contexten.daemon.slices.notify.escalation import Escalations
from contexten.daemon.slices.notify.groups import GroupSchedule
from contexten.daemon.slices.notify.inhibit import Inhibitor
from contexten.daemon.slices.notify.mute import holds
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.routing import Route, RouteTree

RECEIVERS = (
    '[notify.receivers.a]\nkind = "log"\n[notify.receivers.b]\nkind = "log"\n[notify.receivers.c]\nkind = "log"\n'
)


def _tree(routes: str) -> RouteTree:
    return RouteTree.compile(parse_config(RECEIVERS + routes, "c.toml").notify, "c.toml")


def _where(tree: RouteTree, **facts: Any) -> list[tuple[str, str]]:
    notice = Notice("t", "", facts.pop("severity", "warning"), facts.pop("kind", "alert"), **facts)
    return [(d.receiver, d.route) for d in tree.deliveries(notice)]


def test_the_first_matching_route_takes_a_notice_unless_it_says_continue() -> None:
    tree = _tree('[[notify.routes]]\nreceiver = "a"\n[[notify.routes]]\nreceiver = "b"\n')
    assert _where(tree) == [("a", "notify.routes[0]")]
    tree = _tree('[[notify.routes]]\nreceiver = "a"\ncontinue = true\n[[notify.routes]]\nreceiver = "b"\n')
    assert _where(tree) == [("a", "notify.routes[0]"), ("b", "notify.routes[1]")]


def test_children_inherit_the_receiver_and_the_parent_delivers_when_no_child_matches() -> None:
    tree = _tree(
        '[[notify.routes]]\nreceiver = "a"\nmatch = { project = ["api"] }\n'
        '  [[notify.routes.routes]]\n  match = { severity = ["critical"] }\n'  # inherits a
        '  [[notify.routes.routes]]\n  match = { kind = ["run.failed"] }\n  receiver = "b"\n'
    )
    assert _where(tree, project="api", severity="critical") == [("a", "notify.routes[0].routes[0]")]
    assert _where(tree, project="api", kind="run.failed") == [("b", "notify.routes[0].routes[1]")]
    assert _where(tree, project="api", kind="alert") == [("a", "notify.routes[0]")]
    assert _where(tree, project="web") == []  # no route takes it


def test_matchers_take_any_of_their_values_and_every_given_key_must_hold() -> None:
    tree = _tree('[[notify.routes]]\nreceiver = "a"\nmatch = { project = ["api", "web"], flow = ["health_check"] }\n')
    assert _where(tree, project="web", flow="health_check") == [("a", "notify.routes[0]")]
    assert _where(tree, project="web", flow="synthetic") == []
    assert _where(tree, project=None, flow="health_check") == []


def test_a_receiver_reached_twice_is_delivered_once() -> None:
    tree = _tree('[[notify.routes]]\nreceiver = "a"\ncontinue = true\n[[notify.routes]]\nreceiver = "a"\n')
    assert _where(tree) == [("a", "notify.routes[0]")]


@pytest.mark.parametrize(
    ("routes", "key", "words"),
    [
        ('[[notify.routes]]\nreceiver = "zed"\n', "notify.routes[0].receiver", "unknown receiver 'zed'"),
        ('[[notify.routes]]\nmatch = { project = ["x"] }\n', "notify.routes[0].receiver", "needs a receiver"),
        (
            '[[notify.routes]]\nreceiver = "a"\n  [[notify.routes.routes]]\n  receiver = "q"\n',
            "notify.routes[0].routes[0].receiver",
            "unknown receiver 'q'",
        ),
    ],
)
def test_a_bad_route_is_refused_by_its_key(routes: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        _tree(routes)
    assert info.value.key == key and words in str(info.value)


def test_a_bad_matcher_or_receiver_is_refused_by_its_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('[[notify.routes]]\nreceiver = "a"\nmatch = { kind = ["run.exploded"] }\n', "c.toml")
    assert info.value.key.startswith("notify.routes[0].match.kind")
    with pytest.raises(ConfigError) as info:
        parse_config('[notify.receivers.s]\nkind = "slack_api"\n', "c.toml")
    assert info.value.key == "notify.receivers.s" and "needs `channel`" in str(info.value)


def test_a_bad_email_receiver_or_escalation_is_refused_by_its_key() -> None:
    email = (
        '[notify.receivers.m]\nkind = "email"\nsmtp_host = "relay"\nfrom = "cx@example.org"\nto = ["a@example.org"]\n'
    )
    parse_config(email, "c.toml")
    for extra, says in (('username_env = "U"\n', "needs both"),
                        ('username_env = "U"\npassword_env = "P"\ntls = "none"\n', "in the clear"),
                        ('to = ["nobody"]\n', "not an email address")):  # fmt: skip
        with pytest.raises(ConfigError) as info:
            parse_config(email.replace('to = ["a@example.org"]\n', "") + extra
                         + ("" if "to =" in extra else 'to = ["a@example.org"]\n'), "c.toml")  # fmt: skip
        assert info.value.key == "notify.receivers.m" and says in str(info.value)
    chain = '[[notify.escalations]]\nname = "c"\n[[notify.escalations.steps]]\nafter = "1m"\nreceivers = ["pager"]\n'
    with pytest.raises(ConfigError) as info:
        Escalations.compile(parse_config(email + chain, "c.toml").notify, "c.toml")
    assert info.value.key == "notify.escalations[0].steps[0].receivers" and "'pager'" in str(info.value)
    with pytest.raises(ConfigError) as info:
        Escalations.compile(parse_config(email + chain.replace("pager", "m") * 2, "c.toml").notify, "c.toml")
    assert info.value.key == "notify.escalations[1].name"


# ---- properties of random trees -------------------------------------------------------------------

KINDS = ["alert", "alert.resolved", "run.failed", "run.completed"]
PROJECTS = ["api", "web", None]
SEVERITIES = ["info", "warning", "critical"]


def _routes(depth: int) -> st.SearchStrategy[list[Route]]:
    def route(children: list[Route]) -> st.SearchStrategy[Route]:
        return st.builds(
            lambda receiver, kinds, projects, severities, cont, key: Route(
                key,
                receiver,
                frozenset(kinds),
                frozenset(projects),
                frozenset(),
                frozenset(severities),
                cont,
                tuple(children),
            ),
            st.sampled_from(["a", "b", "c"]),
            st.sets(st.sampled_from(KINDS), max_size=2),
            st.sets(st.sampled_from(["api", "web"]), max_size=1),
            st.sets(st.sampled_from(SEVERITIES), max_size=2),
            st.booleans(),
            st.uuids().map(str),
        )

    if depth == 0:
        return st.lists(route([]), max_size=3)
    return _routes(depth - 1).flatmap(lambda kids: st.lists(route(kids), max_size=3))


def _holds(route: Route, notice: Notice) -> bool:
    return route.matches(notice)


def _all_routes(routes: tuple[Route, ...] | list[Route], ancestors_hold: bool, notice: Notice) -> list[Route]:
    """Every route whose own matchers and all its ancestors' hold for the notice."""
    out: list[Route] = []
    for r in routes:
        if ancestors_hold and _holds(r, notice):
            out.append(r)
            out += _all_routes(r.children, True, notice)
    return out


notices = st.builds(lambda k, p, s: Notice("t", "", s, k, p), st.sampled_from(KINDS), st.sampled_from(PROJECTS),
                    st.sampled_from(SEVERITIES))  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_routes(2), notices)
def test_deliveries_come_only_from_routes_whose_path_matches_and_stop_without_continue(
    routes: list[Route], notice: Notice
) -> None:
    tree = RouteTree(tuple(routes))
    found = tree.deliveries(notice)
    reachable = {r.key: r for r in _all_routes(routes, True, notice)}
    # Each delivery comes from a route whose matchers, and its ancestors', all hold; each receiver once.
    assert all(d.route in reachable and reachable[d.route].receiver == d.receiver for d in found)
    assert len({d.receiver for d in found}) == len(found)
    # Some top-level route holds: the notice goes somewhere. None holds: nowhere.
    assert bool(found) == any(_holds(r, notice) for r in routes)
    # Without `continue` anywhere, one route delivers: the first that holds at each level, down to a leaf.
    if not any(r.continue_ for r in reachable.values()) and found:
        assert len(found) == 1
        level: tuple[Route, ...] = tuple(routes)
        chosen: Route | None = None
        while True:
            first = next((r for r in level if _holds(r, notice)), None)
            if first is None:
                break
            chosen, level = first, first.children
        assert chosen is not None and found[0].route == chosen.key


def test_grouping_is_inherited_and_a_group_is_the_routes_and_its_fields_values() -> None:
    tree = _tree(
        '[[notify.routes]]\nreceiver = "a"\ngroup_by = ["kind", "project"]\ngroup_wait = "10s"\n'
        '  [[notify.routes.routes]]\n  match = { severity = ["critical"] }\n  group_interval = "1h"\n'
    )
    (critical,) = tree.deliveries(Notice("t", "", "critical", "alert", "api"))
    assert (critical.group, critical.group_wait, critical.group_interval) == (
        "notify.routes[0].routes[0]|kind=alert|project=api", 10.0, 3600.0)  # fmt: skip
    (other,) = tree.deliveries(Notice("t", "", "warning", "alert", "web"))
    assert (other.group, other.group_wait, other.group_interval) == (
        "notify.routes[0]|kind=alert|project=web",
        10.0,
        300.0,
    )
    (alone,) = _tree('[[notify.routes]]\nreceiver = "a"\n').deliveries(Notice("t", "", "warning"))
    assert alone.group == ""  # no group_by: each notice on its own


def test_a_bad_duration_is_refused_by_its_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(RECEIVERS + '[[notify.routes]]\nreceiver = "a"\ngroup_wait = "soon"\n', "c.toml")
    assert info.value.key == "notify.routes[0].group_wait" and "a duration like '30s'" in str(info.value)


def test_a_group_waits_to_gather_then_goes_out_at_most_once_per_interval() -> None:
    schedule = GroupSchedule()
    assert schedule.due("g", 30, 300, now=1000) == 1030  # the first notice waits group_wait
    assert schedule.due("g", 30, 300, now=1010) == 1030  # the next ones join it
    schedule.went_out("g", now=1031)
    assert schedule.due("g", 30, 300, now=1100) == 1331  # after a send: group_interval from it
    schedule.went_out("g", now=1331)
    assert schedule.due("g", 30, 300, now=5000) == 5000  # long quiet: at once
    assert schedule.due("h", 0, 300, now=7) == 7  # another group is its own


def test_an_active_alert_inhibits_the_notices_it_causes_until_it_resolves() -> None:
    section = parse_config(
        RECEIVERS + '[[notify.inhibit]]\nsource = { severity = ["critical"] }\ntarget = { severity = ["warning"] }\n'
        'equal = ["project"]\n',
        "c.toml",
    ).notify
    inhibitor = Inhibitor(section.inhibit)
    down = Notice("critical from daemon", "the daemon lost its store", "critical", "alert", "api")
    effect = Notice("warning from github", "poll failed", "warning", "alert", "api")
    elsewhere = Notice("warning from github", "poll failed", "warning", "alert", "web")
    assert inhibitor.muted(effect) is None  # nothing active yet
    inhibitor.saw_alert("daemon:api", down)
    assert inhibitor.muted(down, "daemon:api") is None  # an alert never mutes itself
    muted = inhibitor.muted(effect, "github:api")
    assert muted is not None and muted.by == "daemon:api"
    assert inhibitor.muted(elsewhere, "github:web") is None  # another project: `equal` differs
    inhibitor.saw_alert("daemon:api", Notice("resolved: daemon", "", "info", "alert.resolved", "api"))
    assert inhibitor.muted(effect, "github:api") is None  # resolved: the effects are told again


def test_mute_intervals_hold_on_their_days_and_times_in_their_zone_and_over_midnight() -> None:
    section = parse_config(
        RECEIVERS + '[notify.mute_intervals.nights]\nweekdays = ["friday"]\n'
        'times = [{ start = "22:00", end = "07:00" }]\ntimezone = "Europe/Berlin"\n',
        "c.toml",
    ).notify
    nights = section.mute_intervals["nights"]
    berlin = ZoneInfo("Europe/Berlin")

    def at(day: int, hour: int, minute: int = 0) -> float:
        return datetime(2026, 12, day, hour, minute, tzinfo=berlin).timestamp()  # 2026-12-04 is a Friday

    assert holds(nights, at(4, 23)) and holds(nights, at(4, 6, 59))  # Friday night and Friday early morning
    assert not holds(nights, at(4, 7)) and not holds(nights, at(4, 21, 59))
    assert not holds(nights, at(5, 23))  # a Saturday
    assert holds(nights, datetime(2026, 12, 4, 22, 30, tzinfo=UTC).timestamp())  # 23:30 in Berlin


def test_a_route_names_only_mute_intervals_that_exist_and_its_children_inherit_them() -> None:
    with pytest.raises(ConfigError) as info:
        _tree('[[notify.routes]]\nreceiver = "a"\nmute = ["weekends"]\n')
    assert info.value.key == "notify.routes[0].mute" and "unknown mute interval 'weekends'" in str(info.value)
    section = parse_config(
        RECEIVERS + '[notify.mute_intervals.always]\n[[notify.routes]]\nreceiver = "a"\nmute = ["always"]\n'
        '  [[notify.routes.routes]]\n  match = { severity = ["critical"] }\n',
        "c.toml",
    ).notify
    (delivery,) = RouteTree.compile(section, "c.toml").deliveries(Notice("t", "", "critical"))
    assert delivery.route == "notify.routes[0].routes[0]" and delivery.mute == ("always",)
    with pytest.raises(ConfigError) as info:
        parse_config(RECEIVERS + '[notify.mute_intervals.x]\ntimezone = "Mars/Base"\n', "c.toml")
    assert info.value.key == "notify.mute_intervals.x" and "unknown time zone" in str(info.value)

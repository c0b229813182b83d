"""The routing tree, after Alertmanager's: a notice enters at the top; at each level the first route whose
matchers all hold takes it (and the ones after it too, while the route that took it says `continue`);
it goes down into that route's children, and where no child takes it, the route itself delivers it.
A route without matchers matches every notice; children inherit their parent's receiver."""

from __future__ import annotations

from dataclasses import dataclass

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config_notify import NotifySection, RouteSection
from contexten.daemon.slices.notify.port import Notice

GROUP_WAIT = 30.0  # Alertmanager's defaults
GROUP_INTERVAL = 300.0
REPEAT_INTERVAL = 4 * 3600.0
# What a route hands down to its children: group_by, group_wait, group_interval, its mute intervals,
# repeat_interval.
Inherited = tuple[tuple[str, ...], float, float, tuple[str, ...], float]
Labels = tuple[tuple[str, frozenset[str]], ...]


@dataclass(frozen=True)
class Route:
    key: str  # where it is in the config: notify.routes[1].routes[0]
    receiver: str
    kind: frozenset[str]
    project: frozenset[str]
    flow: frozenset[str]
    severity: frozenset[str]
    continue_: bool
    children: tuple[Route, ...]
    group_by: tuple[str, ...] = ()  # () sends each notice on its own
    group_wait: float = GROUP_WAIT
    group_interval: float = GROUP_INTERVAL
    mute: tuple[str, ...] = ()  # mute intervals: while one holds, the route sends nothing
    labels: Labels = ()  # (name, the values it may have): every one must hold
    repeat_interval: float = REPEAT_INTERVAL

    def matches(self, notice: Notice) -> bool:
        return (
            (not self.kind or notice.kind in self.kind)
            and (not self.project or notice.project in self.project)
            and (not self.flow or notice.flow in self.flow)
            and (not self.severity or notice.severity in self.severity)
            and all(notice.labels.get(name) in values for name, values in self.labels)
        )


@dataclass(frozen=True)
class Delivery:
    receiver: str
    route: str  # the key of the route that delivers it
    group: str = ""  # notices with the same group go out together ("" = on its own)
    group_wait: float = GROUP_WAIT
    group_interval: float = GROUP_INTERVAL
    mute: tuple[str, ...] = ()
    repeat_interval: float = REPEAT_INTERVAL


class RouteTree:
    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.routes = routes

    @classmethod
    def compile(cls, section: NotifySection, path: str) -> RouteTree:
        """The tree of `[notify]`; a route naming no receiver, or one that does not exist, is refused by key."""

        def build(routes: list[RouteSection], inherited: str, where: str, grouping: Inherited) -> tuple[Route, ...]:
            built = []
            for i, route in enumerate(routes):
                key = f"{where}[{i}]"
                receiver = route.receiver or inherited
                group_by = tuple(route.group_by) if route.group_by is not None else grouping[0]
                wait = route.group_wait if route.group_wait is not None else grouping[1]
                interval = route.group_interval if route.group_interval is not None else grouping[2]
                for name in route.mute:
                    if name not in section.mute_intervals:
                        known = ", ".join(sorted(section.mute_intervals)) or "none is configured"
                        raise ConfigError(path, f"{key}.mute", f"unknown mute interval {name!r} (intervals: {known})")
                mute = tuple(dict.fromkeys((*grouping[3], *route.mute)))
                repeat = route.repeat_interval if route.repeat_interval is not None else grouping[4]
                if not receiver:
                    raise ConfigError(path, f"{key}.receiver", "a route needs a receiver (its own or its parent's)")
                if receiver not in section.receivers:
                    known = ", ".join(sorted(section.receivers)) or "none is configured"
                    raise ConfigError(path, f"{key}.receiver", f"unknown receiver {receiver!r} (receivers: {known})")
                m = route.match
                children = build(route.routes, receiver, f"{key}.routes", (group_by, wait, interval, mute, repeat))
                labels = tuple((name, frozenset(values)) for name, values in sorted(m.labels.items()))
                built.append(Route(key, receiver, frozenset(m.kind), frozenset(m.project), frozenset(m.flow),
                                   frozenset(m.severity), route.continue_, children, group_by, wait,
                                   interval, mute, labels, repeat))  # fmt: skip
            return tuple(built)

        top = ((), GROUP_WAIT, GROUP_INTERVAL, (), REPEAT_INTERVAL)
        return cls(build(section.routes, "", "notify.routes", top))

    def deliveries(self, notice: Notice) -> list[Delivery]:
        """Where a notice goes, each receiver once (the first route that reaches it says why)."""
        found: dict[str, Delivery] = {}
        for delivery in _walk(self.routes, notice):
            found.setdefault(delivery.receiver, delivery)
        return list(found.values())


def _walk(routes: tuple[Route, ...], notice: Notice) -> list[Delivery]:
    out: list[Delivery] = []
    for route in routes:
        if not route.matches(notice):
            continue
        below = _walk(route.children, notice)
        out += below or [_delivery(route, notice)]
        if not route.continue_:
            break
    return out


def _delivery(route: Route, notice: Notice) -> Delivery:
    if not route.group_by:
        return Delivery(route.receiver, route.key, mute=route.mute, repeat_interval=route.repeat_interval)
    values = "|".join(f"{field}={getattr(notice, field) or ''}" for field in route.group_by)
    return Delivery(route.receiver, route.key, f"{route.key}|{values}", route.group_wait, route.group_interval,
                    route.mute, route.repeat_interval)  # fmt: skip

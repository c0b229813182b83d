"""The routing tree, after Alertmanager's: a notice enters at the top; at each level the first route whose
matchers all hold takes it (and the ones after it too, while the route that took it says `continue`);
it goes down into that route's children, and where no child takes it, the route itself delivers it.
A route without matchers matches every notice; children inherit their parent's receiver."""

from __future__ import annotations

from dataclasses import dataclass

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config_notify import NotifySection, RouteSection
from contexten.daemon.slices.notify.port import Notice


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

    def matches(self, notice: Notice) -> bool:
        return (
            (not self.kind or notice.kind in self.kind)
            and (not self.project or notice.project in self.project)
            and (not self.flow or notice.flow in self.flow)
            and (not self.severity or notice.severity in self.severity)
        )


@dataclass(frozen=True)
class Delivery:
    receiver: str
    route: str  # the key of the route that delivers it


class RouteTree:
    def __init__(self, routes: tuple[Route, ...]) -> None:
        self.routes = routes

    @classmethod
    def compile(cls, section: NotifySection, path: str) -> RouteTree:
        """The tree of `[notify]`; a route naming no receiver, or one that does not exist, is refused by key."""

        def build(routes: list[RouteSection], inherited: str, where: str) -> tuple[Route, ...]:
            built = []
            for i, route in enumerate(routes):
                key = f"{where}[{i}]"
                receiver = route.receiver or inherited
                if not receiver:
                    raise ConfigError(path, f"{key}.receiver", "a route needs a receiver (its own or its parent's)")
                if receiver not in section.receivers:
                    known = ", ".join(sorted(section.receivers)) or "none is configured"
                    raise ConfigError(path, f"{key}.receiver", f"unknown receiver {receiver!r} (receivers: {known})")
                m = route.match
                built.append(Route(key, receiver, frozenset(m.kind), frozenset(m.project), frozenset(m.flow),
                                   frozenset(m.severity), route.continue_, build(route.routes, receiver,
                                                                                   f"{key}.routes")))  # fmt: skip
            return tuple(built)

        return cls(build(section.routes, "", "notify.routes"))

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
        out += below or [Delivery(route.receiver, route.key)]
        if not route.continue_:
            break
    return out

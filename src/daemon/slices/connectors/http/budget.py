"""Sharing one hourly rate budget among many pollers.

Each poller reports what its polls cost (billable requests; 304s are free) and how often it polls. A
poller may poll as often as the budget left over by the others allows — but never less than an equal
slice of it, so one busy repository cannot starve the rest. With 200 idle repositories (spending nothing)
a busy one may poll freely; with all of them busy, each gets 1/200th.
"""

from __future__ import annotations

EWMA = 0.3  # weight of the newest observation in each poller's spending rate


class BudgetPlan:
    def __init__(self, share: float = 1.0) -> None:
        self.share = share  # of the hourly limit, for all members together
        self._rates: dict[str, float] = {}  # member -> points per hour, smoothed

    def join(self, member: str) -> None:
        self._rates.setdefault(member, 0.0)

    def leave(self, member: str) -> None:
        self._rates.pop(member, None)

    @property
    def members(self) -> int:
        return len(self._rates)

    def spent(self, member: str, cost: float, interval: float) -> None:
        """A poll cost `cost` points and the next comes `interval` seconds later."""
        rate = cost * 3600 / interval if interval > 0 else 0.0
        self._rates[member] = (1 - EWMA) * self._rates.get(member, rate) + EWMA * rate

    def floor(self, member: str, cost: float, hourly_limit: int) -> float:
        """The shortest interval at which `member`, spending `cost` per poll, keeps everyone within budget."""
        if cost <= 0 or hourly_limit <= 0:
            return 0.0
        allowed = self.share * hourly_limit
        others = sum(rate for name, rate in self._rates.items() if name != member)
        spare = max(allowed - others, allowed / max(1, self.members))
        return 3600 * cost / spare

    def rate(self) -> float:
        """Points per hour all members are spending now."""
        return sum(self._rates.values())

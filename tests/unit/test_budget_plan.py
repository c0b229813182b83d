"""Sharing one hourly budget among pollers: idle ones leave room for busy ones, and nobody starves."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from contexten.daemon.slices.connectors.http.budget import BudgetPlan


def test_a_busy_poller_gets_what_the_idle_ones_leave() -> None:
    plan = BudgetPlan(share=0.5)
    for n in range(200):
        plan.join(f"repo-{n}")
    # Everyone else is idle: the busy one may spend the whole share (2,500 points/hour).
    assert plan.floor("repo-0", cost=5, hourly_limit=5000) == 3600 * 5 / 2500


def test_when_everyone_is_busy_each_gets_an_equal_slice() -> None:
    plan = BudgetPlan(share=1.0)
    for n in range(200):
        plan.join(f"repo-{n}")
        plan.spent(f"repo-{n}", cost=10, interval=1)  # far over budget
    assert plan.floor("repo-0", cost=1, hourly_limit=5000) == 3600 * 1 / (5000 / 200)


def test_leaving_frees_the_slice() -> None:
    plan = BudgetPlan()
    plan.join("a")
    plan.join("b")
    plan.spent("b", 100, 1)
    before = plan.floor("a", 1, 5000)
    plan.leave("b")
    assert plan.floor("a", 1, 5000) < before and plan.members == 1


@given(
    costs=st.lists(st.integers(min_value=0, max_value=6), min_size=1, max_size=60),
    share=st.floats(min_value=0.1, max_value=1.0),
)
def test_pollers_at_their_floors_stay_within_the_budget(costs: list[int], share: float) -> None:
    """Simulated hour: every poller polls at the interval the plan allows, and the total stays in budget."""
    plan = BudgetPlan(share)
    names = [f"r{i}" for i in range(len(costs))]
    for name in names:
        plan.join(name)
    for _ in range(30):  # let the smoothed rates settle
        for name, cost in zip(names, costs, strict=True):
            interval = max(1.0, plan.floor(name, cost, 5000))
            plan.spent(name, cost, interval)
    spent = sum(cost * 3600 / max(1.0, plan.floor(n, cost, 5000)) for n, cost in zip(names, costs, strict=True) if cost)
    assert spent <= share * 5000 * 1.001

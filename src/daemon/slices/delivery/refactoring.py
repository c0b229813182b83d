"""`autonomous_refactoring`: the plan is the analysis' hotspots (complexity x churn), one refactoring
sub-issue each; what the person gives is at most a scope (a folder). Written requirements are generated,
so the main issue says what was chosen and why."""

from __future__ import annotations

from contexten.common.analysis_view import HotspotItem
from contexten.common.start_flow import Component, Plan
from contexten.daemon.slices.delivery.outline import RequirementsError


def refactoring_plan(hotspots: list[HotspotItem], scope: str) -> tuple[str, Plan]:
    """(the requirements as written into the main issue, the plan)."""
    where = f"`{scope}`" if scope else "the project"
    if not hotspots:
        raise RequirementsError(f"the analysis finds no hotspot in {where}: nothing to refactor")
    lines = [f"# Refactor the hotspots of {where}", "",
             "Chosen by the code analysis: the functions whose complexity times churn is highest.", ""]  # fmt: skip
    components = []
    for h in hotspots:
        lines.append(f"- `{h.name}` in `{h.file}`: cyclomatic complexity {h.ccn}, changed {h.churn} times")
        components.append(Component(
            title=f"Refactor {h.name} in {h.file}",
            body=(f"Reduce the complexity of `{h.name}` in `{h.file}` (cyclomatic complexity {h.ccn}, changed "
                  f"{h.churn} times recently) without changing what it does. Accepted only if the tests pass "
                  "and the highest complexity in the files you touch goes down."),
            research=False,
        ))  # fmt: skip
    requirements = "\n".join(lines) + "\n"
    title = f"Refactor the hotspots of {scope}" if scope else "Refactor the hotspots"
    return requirements, Plan(title=title, components=components, planner="analysis", shape="autonomous_refactoring")

"""A plan before anything is created: the main issue, then the sub-issues in the order they are filed,
each with what it waits for, its acceptance commands and the paths it may touch; the planner's notes."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree

from contexten.common.start_flow import ItemKind, Plan, plan_items


class PlanPreview(Tree[None]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__("no plan yet", **kwargs)  # type: ignore[arg-type]
        self.guide_depth = 3
        self.plan: Plan | None = None

    def show(self, plan: Plan | None, problem: str = "") -> None:
        self.plan = plan
        self.clear()
        if plan is None:
            self.root.set_label(Text(problem or "no plan yet: write the requirements, then preview", style="dim"))
            return
        items = plan_items(plan)
        research = sum(1 for i in items if i.kind is ItemKind.RESEARCH)
        label = Text(f"{plan.title}", style="bold")
        label.append(f"  main issue · {research} research · {len(items) - research} implementation · "
                     f"planner {plan.planner}", style="dim")  # fmt: skip
        self.root.set_label(label)
        for item in items:
            line = Text(f"#{item.id:<3}", style="bold")
            line.append(f"{item.kind.value:<15}", style="cyan" if item.kind is ItemKind.RESEARCH else "yellow")
            line.append(item.title)
            if item.blocked_by:
                line.append(f"  after {', '.join(f'#{b}' for b in item.blocked_by)}", style="dim")
            details = [f"accept: {a}" for a in item.accept]
            if item.paths:
                details.append(f"paths: {', '.join(item.paths)}")
            if details:
                node = self.root.add(line, expand=True)
                for detail in details:
                    node.add_leaf(Text(detail, style="dim"))
            else:
                self.root.add_leaf(line)
        for note in plan.notes:
            self.root.add_leaf(Text(f"note: {note}", style="yellow"))
        self.root.expand()

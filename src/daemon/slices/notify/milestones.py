"""A Start Flow's milestones as notices: its plan filed as issues, each item merged, the whole completed,
failed, or stuck until a person looks (an item that escalates raises its own critical alert, with
`source = start_flow`). Flows and items are saved many times on the way; a milestone is told once, on
the save that reaches it, so what each open flow has reached is remembered (and loaded at start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contexten.daemon.slices.notify.port import Notice

ENDED = ("completed", "failed", "cancelled")


@dataclass
class Reached:
    state: str = "planning"
    filed: bool = False
    merged: set[int] = field(default_factory=set)  # items merged
    shape: str = "start_flow"  # start_flow, bug_fix_workflow: what routes match as the notice's flow


class Milestones:
    def __init__(self) -> None:
        self._flows: dict[int, Reached] = {}

    def remember(self, flow: int, state: str, filed: bool, merged: set[int], shape: str) -> None:
        self._flows[flow] = Reached(state, filed, set(merged), shape)

    def from_event(self, kind: str, data: dict[str, Any], project: str | None) -> Notice | None:
        if kind == "work.flow" and isinstance(data.get("flow"), dict):
            return self._flow(data["flow"], project)
        if kind == "work.item" and isinstance(data.get("flow"), int) and isinstance(data.get("item"), dict):
            return self._item(data["flow"], data["item"], project)
        return None

    def _flow(self, flow: dict[str, Any], project: str | None) -> Notice | None:
        flow_id = flow.get("id")
        if not isinstance(flow_id, int):
            return None
        was = self._flows.setdefault(flow_id, Reached())
        state, filed = str(flow.get("state")), bool(flow.get("filed"))
        before, was.state, was.filed = (was.state, was.filed), state, was.filed or filed
        if state in ENDED:
            self._flows.pop(flow_id, None)
        what = f"Start Flow #{flow_id}"
        title = str(flow.get("title") or "")
        shape = was.shape = str((flow.get("plan") or {}).get("shape") or was.shape)
        labels = {"flow_id": str(flow_id)}
        main = str(flow.get("main_issue") or "")
        fields = {"main issue": main} if main else {}
        if state != before[0]:
            if state == "completed":
                took = _took(flow.get("created_at"), flow.get("ended_at"))
                body = "Every item merged and the final validation passed."
                return Notice(f"{what} completed: {title}", body, "info", "start_flow.completed", project, shape,
                              None, {**fields, **took}, labels)  # fmt: skip
            if state == "failed":
                body = str(flow.get("error") or "it could not start")
                return Notice(f"{what} failed: {title}", body, "warning", "start_flow.failed", project, shape, None,
                              fields, labels)  # fmt: skip
            if state == "escalated":
                body = str(flow.get("error") or "nothing can go on without a person")
                return Notice(f"{what} needs a person: {title}", body, "warning", "start_flow.escalated", project,
                              shape, None, fields, labels)  # fmt: skip
        if filed and not before[1]:
            plan = flow.get("plan") or {}
            parts = len(plan.get("components") or [])
            body = f"{parts} component{'s' if parts != 1 else ''} planned" + (f", filed under {main}" if main else "")
            fields.update({"planner": str(flow.get("planner") or ""), "agent": str(flow.get("agent") or "")})
            return Notice(f"{what} planned: {title}", body + ".", "info", "start_flow.planned", project, shape, None,
                          {k: v for k, v in fields.items() if v}, labels)  # fmt: skip
        return None

    def _item(self, flow_id: int, item: dict[str, Any], project: str | None) -> Notice | None:
        item_id = item.get("id")
        if item.get("state") != "merged" or not isinstance(item_id, int):
            return None
        was = self._flows.setdefault(flow_id, Reached(state="running", filed=True))
        if item_id in was.merged:
            return None
        was.merged.add(item_id)
        name = str(item.get("issue") or f"item {item_id}")
        link = str(item.get("pull_request_url") or "")
        fields = {"pull request": link, "commit": str(item.get("merged_sha") or "")[:12]}
        labels = {"flow_id": str(flow_id), "item_kind": str(item.get("kind") or "")}
        return Notice(f"Start Flow #{flow_id}: {name} merged", str(item.get("title") or ""), "info",
                      "start_flow.item_merged", project, was.shape, None, {k: v for k, v in fields.items() if v},
                      labels, link)  # fmt: skip


def _took(start: object, end: object) -> dict[str, str]:
    if not isinstance(start, int | float) or not isinstance(end, int | float):
        return {}
    minutes = (float(end) - float(start)) / 60
    return {"took": f"{minutes:.0f}min" if minutes < 120 else f"{minutes / 60:.1f}h"}

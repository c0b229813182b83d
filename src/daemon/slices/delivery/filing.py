"""The tracker side of a flow: the main issue, its sub-issues in order with their blocked-by relations,
restructuring sub-issues, state moves and comments. Every write is idempotent across crashes: issues by
their idempotency keys, relations by checking first, comments by a hidden marker searched before posting."""

from __future__ import annotations

from contexten.common.models import Issue
from contexten.common.start_flow import WorkFlow, WorkItem
from contexten.daemon.slices.connectors.tracker.port import Tracker
from contexten.daemon.slices.delivery.prompts import item_body, main_issue_body


def marked(body: str, key: str) -> str:
    return f"{body}\n\n<!-- contexten {key} -->"


class Filing:
    def __init__(self, tracker: Tracker, flow: WorkFlow) -> None:
        self.tracker = tracker
        self.flow = flow

    def key(self, what: str) -> str:
        return f"work-{self.flow.id}-{what}"

    async def main_issue(self) -> Issue:
        assert self.flow.plan is not None
        return await self.tracker.create_issue(
            self.flow.plan.title,
            main_issue_body(self.flow, self.flow.plan),
            key=self.key("main"),
            labels=["contexten"],
            project=self.flow.project,
        )

    async def sub_issue(self, item: WorkItem) -> Issue:
        assert self.flow.plan is not None and self.flow.main_issue is not None
        prefix = {"research": "Research", "reproduction": "Reproduce", "implementation": "Implement",
                  "integration": "Integrate"}[item.kind.value]  # fmt: skip
        return await self.tracker.create_issue(
            f"{prefix}: {item.title}",
            item_body(item, self.flow.plan),
            key=self.key(f"item-{item.id}"),
            labels=["contexten", item.kind.value],
            project=self.flow.project,
            parent=self.flow.main_issue,
            sort_order=float(item.id),
        )

    async def restructuring_issue(self, item: WorkItem, attempt: int, body: str) -> Issue:
        assert self.flow.main_issue is not None and item.issue is not None
        issue = await self.tracker.create_issue(
            f"Restructure {item.issue}: {item.title} (attempt {attempt + 1})",
            body,
            key=self.key(f"item-{item.id}-restructure-{attempt}"),
            labels=["contexten", "restructuring"],
            project=self.flow.project,
            parent=self.flow.main_issue,
            sort_order=item.id + attempt / 100,
        )
        await self.tracker.relate(issue.identifier, item.issue)
        return issue

    async def comment_once(self, identifier: str, what: str, body: str) -> None:
        key = self.key(what)
        if any(f"<!-- contexten {key} -->" in c for c in await self.tracker.comments(identifier)):
            return
        await self.tracker.comment(identifier, marked(body, key))

    async def move(self, identifier: str | None, state: str) -> None:
        if identifier is not None:
            await self.tracker.update_issue(identifier, state=state)

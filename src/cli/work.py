"""CLI commands for issues, pull requests and the sync log."""

from __future__ import annotations

import argparse
import time

from contexten.cli.output import emit_json
from contexten.client.connection import DaemonClient
from contexten.common.issue_tree import issue_tree, walk
from contexten.common.protocol import (
    CreateIssue,
    GetSyncLog,
    ListIssues,
    ListPullRequests,
    OpenPullRequest,
    UpdateIssue,
)


async def issues(args: argparse.Namespace, client: DaemonClient) -> int:
    found = await client.call(ListIssues(project=args.project))
    if args.json:
        emit_json(found)
        return 0
    if not found:
        print(f"{args.project}: no issues")
    for depth, node in walk(issue_tree(found)):
        issue = node.issue
        progress = f" [{node.progress * 100:.0f}% of {len(node.children)}]" if node.progress is not None else ""
        prs = f"  ({len(issue.pull_requests)} PR)" if issue.pull_requests else ""
        state = issue.state_name or issue.state
        print(f"{'  ' * depth}{issue.identifier:<10} {state:<12} {issue.title}{progress}{prs}")
    return 0


async def pull_requests(args: argparse.Namespace, client: DaemonClient) -> int:
    views = await client.call(ListPullRequests(project=args.project))
    if args.json:
        emit_json(views)
        return 0
    if not views:
        print(f"{args.project}: no pull requests seen yet")
    for view in views:
        pr = view.pull_request
        passed = sum(1 for c in view.checks if c.conclusion == "success")
        checks = f"checks {passed}/{len(view.checks)}" if view.checks else "no checks"
        print(f"#{pr.number:<5} {pr.state:<7} {checks:<12} {pr.head} -> {pr.base}  {pr.title}")
    return 0


async def sync_log(args: argparse.Namespace, client: DaemonClient) -> int:
    entries = await client.call(GetSyncLog(project=args.project, issue=args.issue, limit=args.limit))
    if args.json:
        emit_json(entries)
        return 0
    for e in reversed(entries):
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.at))
        move = f" {e.from_state or '?'} -> {e.to_state}" if e.to_state else ""
        print(f"{when} {e.decision:<16} {e.issue or '-':<10} {e.pull_request or '-'}{move}: {e.reason}")
    return 0


async def issue(args: argparse.Namespace, client: DaemonClient) -> int:
    if args.action == "create":
        made = await client.call(
            CreateIssue(project=args.project, title=args.title, body=args.body, parent=args.parent)
        )
    else:
        made = await client.call(UpdateIssue(project=args.project, identifier=args.identifier, state=args.state))
    if args.json:
        emit_json(made)
    else:
        print(f"{made.identifier} {made.state_name or made.state}  {made.title}")
    return 0


async def propose(args: argparse.Namespace, client: DaemonClient) -> int:
    pr = await client.call(OpenPullRequest(project=args.project, head=args.branch, title=args.title, body=args.body))
    if args.json:
        emit_json(pr)
    else:
        print(f"#{pr.number} {pr.head} -> {pr.base}  {pr.title}")
    return 0

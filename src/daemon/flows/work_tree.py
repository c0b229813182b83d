"""The work tree a flow reads a project from: a local project's repository, a GitHub project's local
clone (`[projects.ID] clone`). Refused by name when there is none."""

from __future__ import annotations

import os

from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.runs.flow import StepContext


def work_tree(ctx: StepContext) -> str:
    if ctx.project is None:
        raise ValidationFailed(f"{ctx.run.flow} needs a project")
    root = ctx.project.location if ctx.project.kind == "local" else ctx.config().project(ctx.project.id).clone
    if not root:
        pid = ctx.project.id
        raise ValidationFailed(f"project {pid} has no local work tree: set [projects.{pid}] clone")
    if not os.path.isdir(root):
        raise ValidationFailed(f"project {ctx.project.id}: {root} is not a directory")
    return root

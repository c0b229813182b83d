"""The forge of a run's project, for the flows that work on one (a run without a project, or a project with
no forge, is refused by name)."""

from __future__ import annotations

from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import StepContext


def forge_of(ctx: StepContext) -> Forge:
    if ctx.project is None:
        raise ValidationFailed(f"{ctx.run.flow} needs a project")
    forge = ctx.use(Connectors).forge(ctx.project)
    if forge is None:
        raise ValidationFailed(f"project {ctx.project.id} has no forge (configure [github])")
    return forge

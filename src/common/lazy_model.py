"""The base of every wire and state model: pydantic builds a model's validator when it is first used, not
when its class is defined (`defer_build`). A command uses a few of the ~100 models, and building them all
at import made `contexten status` spend most of its time before it sent anything."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LazyModel(BaseModel):
    model_config = ConfigDict(defer_build=True)

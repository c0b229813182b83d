"""What a request is: a pydantic model that names its command and the type of its answer.

`class GetRun(Request[Run])` says that `run.get` is answered with a `Run`. The client validates every
answer against that type, the daemon's router refuses to start unless every request has exactly one
handler, and mypy sees `await client.call(GetRun(id=3))` as a `Run`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import ConfigDict, TypeAdapter

from contexten.common.lazy_model import LazyModel

R = TypeVar("R")


class Request(LazyModel, Generic[R]):
    """Subclass as `class Name(Request[Answer])` with a field `cmd: Literal["slice.verb"] = "slice.verb"`."""

    model_config = ConfigDict(extra="forbid")
    # Reads that can cost a lot (pages of events, whole snapshots): the daemon runs a few at a time, so they
    # never queue up in front of everything else on the store.
    expensive: ClassVar[bool] = False
    # Control requests (liveness, status, stop): clients send them to the control lane's own socket, served
    # on a thread of its own, so a flood of other requests cannot delay them.
    lane: ClassVar[bool] = False

    @classmethod
    def command(cls) -> str:
        return str(cls.model_fields["cmd"].default)

    @classmethod
    def response_type(cls) -> Any:
        return _response_type(cls)

    @classmethod
    def response_adapter(cls) -> TypeAdapter[Any]:
        return _adapter(cls)


@cache
def _response_type(cls: type[Request[Any]]) -> Any:
    for base in cls.__mro__:
        meta = getattr(base, "__pydantic_generic_metadata__", None)
        if meta and meta["origin"] is Request and meta["args"]:
            return meta["args"][0]
    raise TypeError(f"{cls.__name__} does not name its response type (write it as Request[Answer])")


@cache
def _adapter(cls: type[Request[Any]]) -> TypeAdapter[Any]:
    return TypeAdapter(_response_type(cls))


# The modules that declare requests, one per slice (the package loads them lazily; this loads them all).
SLICE_MODULES = ("analysis", "analytics", "ci", "daemon", "delivery", "health", "notify", "projects", "resilience",
                 "runs", "security", "work")  # fmt: skip


def request_types() -> dict[str, type[Request[Any]]]:
    """Every request the protocol declares, by command: the concrete Request classes defined in this
    package's slice modules."""
    for module in SLICE_MODULES:
        importlib.import_module(f"{__package__ or 'contexten.common.protocol'}.{module}")
    found: list[type[Request[Any]]] = []
    stack = list(Request.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(__package__ or "contexten.common.protocol"):
            found.append(cls)
    return index_requests(found)


def index_requests(classes: Iterable[type[Request[Any]]]) -> dict[str, type[Request[Any]]]:
    """Concrete request classes by command; two classes claiming one command are refused by name."""
    found: dict[str, type[Request[Any]]] = {}
    for cls in classes:
        if "cmd" not in cls.model_fields or cls.__pydantic_generic_metadata__["origin"] is not None:
            continue
        cmd = cls.command()
        other = found.get(cmd)
        if other is not None and other is not cls:
            raise TypeError(f"command {cmd!r} is declared twice: {other.__qualname__} and {cls.__qualname__}")
        found[cmd] = cls
    return found


class Ack(LazyModel):
    """The answer to a request that changes something and has nothing more to say than what it started."""

    id: int
    action: str

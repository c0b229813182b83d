"""How a CI run, job or step reads as text, the same in `contexten ci PROJECT` and the console's pipeline
view: a state word (the conclusion once completed, else the status), a duration, and a trend drawn with
block characters (pass rate, and duration against the slowest run shown)."""

from __future__ import annotations

BLOCKS = " ▁▂▃▄▅▆▇█"


def state_of(status: str, conclusion: str | None) -> str:
    return (conclusion or "completed") if status == "completed" else status


def elapsed(start: float | None, end: float | None, now: float) -> str:
    """How long something took (or has taken so far, with no end yet); "" before it started."""
    if start is None:
        return ""
    seconds = max(0.0, (end if end is not None else now) - start)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"


def duration(start: float | None, end: float | None) -> str:
    """A finished job's or step's duration; "-" when either end is unknown."""
    return elapsed(start, end, end) if start is not None and end is not None else "-"


def spark(values: list[float], top: float | None = None) -> str:
    """One block per value, its height the value against `top` (default the largest)."""
    ceiling = top if top is not None else max(values, default=0.0)
    if ceiling <= 0:
        return BLOCKS[1] * len(values)
    return "".join(BLOCKS[max(1, min(8, round(v / ceiling * 8)))] for v in values)

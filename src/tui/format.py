"""Small text helpers shared by the widgets: state colours, durations, progress bars."""

from __future__ import annotations

from rich.text import Text

from contexten.common.models import RunState, StepState

STATE_STYLE = {
    RunState.SCHEDULED: "dim",
    RunState.PENDING: "dim",
    RunState.RUNNING: "bold yellow",
    RunState.PAUSED: "cyan",
    RunState.CANCELLING: "magenta",
    RunState.COMPLETED: "green",
    RunState.FAILED: "bold red",
    RunState.CANCELLED: "magenta",
    RunState.CRASHED: "bold red",
    StepState.SKIPPED: "dim",
    StepState.RETRYING: "yellow",
}
STATE_ICON = {
    "PENDING": "·", "SCHEDULED": "·", "RUNNING": "▶", "PAUSED": "‖", "CANCELLING": "…",
    "COMPLETED": "✔", "FAILED": "✘", "CANCELLED": "⊘", "CRASHED": "✘", "SKIPPED": "–", "RETRYING": "↻",
}  # fmt: skip
HEALTH_STYLE = {"ok": "green", "warning": "yellow", "failing": "bold red", "unknown": "dim"}


def state_text(state: str) -> Text:
    return Text(f"{STATE_ICON.get(state, '?')} {state.lower()}", style=STATE_STYLE.get(state, ""))  # type: ignore[call-overload]


def health_text(health: str) -> Text:
    return Text(f"● {health}", style=HEALTH_STYLE.get(health, ""))


def duration(start: float | None, end: float | None, now: float) -> str:
    if start is None:
        return ""
    seconds = max(0.0, (end if end is not None else now) - start)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds // 60:.0f}m{seconds % 60:02.0f}s"


def progress_bar(fraction: float, width: int = 12) -> Text:
    fraction = max(0.0, min(1.0, fraction))
    filled = round(fraction * width)
    bar = Text("█" * filled, style="green")
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {fraction * 100:3.0f}%")
    return bar

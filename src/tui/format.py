"""Small text helpers shared by the widgets: state colours, durations, progress bars."""

from __future__ import annotations

from rich.text import Text

from contexten.common.ci_text import elapsed
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


duration = elapsed  # the screens' name for it


def progress_bar(fraction: float, width: int = 12) -> Text:
    fraction = max(0.0, min(1.0, fraction))
    filled = round(fraction * width)
    bar = Text("█" * filled, style="green")
    bar.append("░" * (width - filled), style="dim")
    bar.append(f" {fraction * 100:3.0f}%")
    return bar


# Start Flow states (flows and their items), coloured like the runs' states they resemble.
WORK_STYLE = {
    "planned": "dim", "waiting": "cyan", "researching": "bold yellow", "coding": "bold yellow",
    "validating": "yellow", "restructuring": "magenta", "merged": "green", "done": "green",
    "escalated": "bold red", "cancelled": "magenta", "planning": "dim", "running": "bold yellow",
    "completed": "green", "failed": "bold red",
}  # fmt: skip
WORK_ICON = {
    "planned": "·", "waiting": "…", "researching": "▶", "coding": "▶", "validating": "▶", "restructuring": "↻",
    "merged": "✔", "done": "✔", "escalated": "!", "cancelled": "⊘", "planning": "·", "running": "▶",
    "completed": "✔", "failed": "✘",
}  # fmt: skip


def work_state_text(state: str, paused: bool = False) -> Text:
    text = Text(f"{WORK_ICON.get(state, '?')} {state}", style=WORK_STYLE.get(state, ""))
    if paused:
        text.append(" ‖ paused", style="cyan")
    return text


def gate_text(name: str, passed: bool) -> Text:
    return Text(f"{'✔' if passed else '✘'} {name}", style="green" if passed else "bold red")


def elapsed_text(seconds: float | None) -> str:
    return "" if seconds is None else duration(0.0, seconds, 0.0)


def plural(n: int, word: str) -> str:
    """'1 pull request', '2 pull requests', '0 issues'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"

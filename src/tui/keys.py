"""The console's actions, one table: it feeds the key bindings, the help screen and the command palette.
Global actions work on every screen; the dashboard's act on what it highlights, so they are bound there
and other screens' footers and help do not offer keys that mean nothing on them."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Action:
    name: str  # the app's action_<name>
    description: str
    key: str
    label: str  # the footer's label; empty keeps it out of the footer
    everywhere: bool = False


ACTIONS = [
    Action("start_work", "Start Flow: written requirements → issues → coding agents → merged code", "n", "Start",
           everywhere=True),
    Action("flows", "Start Flows, each as a live tree", "w", "", everywhere=True),
    Action("pin", "Pin a project", "p", ""),
    Action("unpin", "Unpin the highlighted project (asks first)", "u", ""),
    Action("start", "Start a flow", "s", "Run"),
    Action("cancel", "Cancel the highlighted run (asks first)", "c", "Cancel"),
    Action("pause", "Pause or resume the highlighted run", "space", "Pause"),
    Action("retry", "Retry the highlighted run (completed steps are kept)", "r", "Retry"),
    Action("open", "Open the highlighted run", "o", ""),
    Action("recovery", "Show the recovery engine's strategies and results", "e", ""),
    Action("alerts", "Every active alert, to read and acknowledge", "exclamation_mark", ""),
    Action("inbox", "Inbox: notices that need a person, to acknowledge or resolve", "b", ""),
    Action("notices", "Notifications: what was told to whom, and what could not be", "m", ""),
    Action("events", "The live event stream: filter by kind, project, run; pause", "l", ""),
    Action("work", "Issues and pull requests of the highlighted project", "i", "Issues"),
    Action("analysis", "Code analysis of the highlighted project", "a", "Analysis"),
    Action("analytics", "Analytics: runs, success, durations, queue time, slowest steps, over time", "f", ""),
    Action("pipeline", "CI of the highlighted project: runs, jobs, steps, logs, test trend", "t", ""),
    Action("help", "Show every key of this screen", "question_mark", "Help", everywhere=True),
    Action("quit", "Quit the console", "q", ""),
]  # fmt: skip


# Shorter names for the footer, which must fit 80 columns with every key a screen shows.
KEY_DISPLAY = {"space": "␣"}


def bindings(everywhere: bool, prefix: str = "") -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    return [
        Binding(
            a.key,
            prefix + a.name,
            a.label or a.description,
            show=bool(a.label),
            tooltip=a.description,
            key_display=KEY_DISPLAY.get(a.key),
        )
        for a in ACTIONS
        if a.everywhere == everywhere
    ]

"""Pinned projects with kind, last run and health badge."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import DataTable

from contexten.common.models import Project, Run
from contexten.tui.format import health_text, state_text
from contexten.tui.messages import ProjectChosen
from contexten.tui.widgets.list_table import ListTable

ProjectRow = tuple[Project, Run | None]


class ProjectList(ListTable):
    WHOLE = frozenset({2})  # health
    projects: reactive[list[ProjectRow]] = reactive(list, always_update=True)

    def on_mount(self) -> None:
        self.add_columns("project", "kind", "health", "last run")

    def watch_projects(self, projects: list[ProjectRow]) -> None:
        self.show_rows(
            [
                (
                    p.id,
                    (
                        Text(p.id, style="bold"),
                        p.kind,
                        health_text(p.health),
                        Text.assemble(f"#{last.id} {last.flow} ", state_text(last.state)) if last else Text("-", "dim"),
                    ),
                )
                for p, last in projects
            ]
        )

    @property
    def selected(self) -> str | None:
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(ProjectChosen(str(event.row_key.value)))

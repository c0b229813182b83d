"""The Start Flow screen's choices, against the fake link: the lifecycle flow chosen changes the plan the
daemon previews (a feature is one component from the whole document, without research)."""

from __future__ import annotations

from textual.widgets import Select, TextArea

from contexten.common.clock import FakeClock
from contexten.tui.app import ContextenApp
from contexten.tui.screens.start_work import StartWorkScreen
from contexten.tui.widgets.plan_preview import PlanPreview
from tests.console.fake_link import T0, FakeDaemonLink
from tests.helpers import await_for


async def test_the_start_screen_previews_a_lifecycle_flow() -> None:
    link = FakeDaemonLink()
    app = ContextenApp(link=link, clock=FakeClock(T0))
    async with app.run_test(size=(150, 40)) as pilot:
        await await_for(lambda: app.link_status == "connected", 5, "the fake link")
        await pilot.press("n")
        await await_for(lambda: isinstance(app.screen, StartWorkScreen), 5, "the Start Flow screen")
        screen = app.screen
        assert isinstance(screen, StartWorkScreen)
        screen.query_one(TextArea).load_text("# Farewells\n\n## Details\nSay goodbye.\n")
        preview = screen.query_one(PlanPreview)
        screen.action_preview()
        await await_for(lambda: preview.plan is not None and len(preview.plan.components) == 1, 5, "the outline")
        assert [c.title for c in preview.plan.components] == ["Details"]  # type: ignore[union-attr]
        screen.query_one("#sw-shape", Select).value = "feature_development"
        await await_for(lambda: preview.plan is not None and preview.plan.shape == "feature_development", 5,
                        "the feature's preview")  # fmt: skip
        assert preview.plan is not None and [c.title for c in preview.plan.components] == ["Farewells"]
        assert len(preview.root.children) == 1  # one implementation, no research

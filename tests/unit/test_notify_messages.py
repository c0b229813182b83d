"""What a notice looks like on the way out: Slack's Block Kit within its limits, the fallback text, no secret."""

from __future__ import annotations

from contexten.daemon.platform.credentials import Secret
from contexten.daemon.slices.notify.destinations import MAX_BLOCKS, signature, slack_message
from contexten.daemon.slices.notify.notices import NoticeMaker
from contexten.daemon.slices.notify.port import Notice


def test_a_slack_message_has_a_header_the_body_its_facts_and_a_fallback_text_without_secrets() -> None:
    token = Secret("ghp_notifytestsecret0123456789")
    body = f"push failed: remote said bad credentials for {token.reveal()}"
    notice = Notice("run #7 deploy failed", body, "warning", "run.failed", "api", "deploy", 7, {"state": "FAILED"})
    message = slack_message(notice)
    assert token.reveal() not in str(message)
    header, section, context = message["blocks"]
    assert header["text"]["text"] == "run #7 deploy failed" and "push failed" in section["text"]["text"]
    assert [e["text"] for e in context["elements"]] == [":large_orange_circle: *warning*", "*project* api",
                                                        "*flow* deploy", "*run* #7", "*state* FAILED"]  # fmt: skip
    linked = slack_message(Notice("ENG-3 merged", "", "info", link="https://github.com/acme/api/pull/7"))
    assert linked["blocks"][-1]["elements"][-1]["text"] == "<https://github.com/acme/api/pull/7|open>"
    assert "|open>" not in str(slack_message(Notice("t", "", "info", link="javascript:alert(1)")))
    assert message["text"].startswith(":large_orange_circle: run #7 deploy failed: push failed")


def test_a_huge_notice_stays_within_slacks_limits() -> None:
    notice = Notice("x" * 500, "y" * 10_000, "critical", fields={f"f{i}": "v" * 500 for i in range(100)})
    message = slack_message(notice)
    assert len(message["blocks"]) <= MAX_BLOCKS
    assert len(message["blocks"][0]["text"]["text"]) <= 150 and len(message["blocks"][1]["text"]["text"]) <= 3000
    assert len(message["blocks"][2]["elements"]) <= 10


def test_a_webhook_signature_is_hmac_sha256_of_the_exact_body() -> None:
    # RFC 4231 test case 2.
    assert signature(b"Jefe", b"what do ya want for nothing?") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


def test_runs_notices_name_their_flow_and_only_a_runs_end_or_an_alert_makes_one() -> None:
    maker = NoticeMaker()
    assert maker.from_event("run.created", {"run": {"flow": "deploy"}}, 3, "api") is None
    assert maker.from_event("run.state", {"state": "RUNNING"}, 3, "api") is None
    assert maker.from_event("step.progress", {"index": 0}, 3, "api") is None
    assert maker.from_event("run.state", {"state": "RUNNING", "started_at": 100.0}, 3, "api") is None
    failed = maker.from_event("run.state", {"state": "FAILED", "error": "boom", "ended_at": 112.5}, 3, "api")
    assert failed is not None and (failed.kind, failed.flow, failed.body) == ("run.failed", "deploy", "boom")
    assert failed.title == "run #3 deploy failed" and failed.fields == {"state": "FAILED", "took": "12.5s"}
    unknown = maker.from_event("run.state", {"state": "COMPLETED"}, 4, None)  # created before it was watching
    assert unknown is not None and unknown.title == "run #4 completed" and "took" not in unknown.fields
    alert = maker.from_event("alert", {"severity": "critical", "source": "recovery", "message": "m"}, None, None)
    assert alert is not None and (alert.kind, alert.severity) == ("alert", "critical")
    resolved = maker.from_event("alert", {"resolved": True, "message": "ok again"}, None, None)
    assert resolved is not None and (resolved.kind, resolved.severity) == ("alert.resolved", "info")


def test_a_runs_end_says_what_each_step_did_and_a_retry_still_knows_the_steps_names() -> None:
    maker = NoticeMaker()
    steps = [{"index": 0, "name": "snapshot"}, {"index": 1, "name": "verify"}, {"index": 2, "name": "rotate"}]
    maker.from_event("run.created", {"run": {"flow": "backup_operations", "steps": steps}}, 5, None)
    maker.from_event("step.progress", {"index": 0, "progress": 0.1, "message": "copying"}, 5, None)
    maker.from_event("step.progress", {"index": 0, "progress": 1.0, "message": "b.db, 1.2 MB"}, 5, None)
    maker.from_event("step.state", {"index": 1, "state": "FAILED", "error": "integrity: bad page"}, 5, None)
    failed = maker.from_event("run.state", {"state": "FAILED", "error": "verify failed"}, 5, None)
    assert failed is not None and failed.body == "verify failed\n\nsnapshot: b.db, 1.2 MB"
    maker.remember(5, "backup_operations")  # retried: running again
    maker.from_event("step.progress", {"index": 1, "progress": 1.0, "message": "integrity_check ok"}, 5, None)
    maker.from_event("step.progress", {"index": 2, "progress": 1.0, "message": "kept 7, removed 0"}, 5, None)
    done = maker.from_event("run.state", {"state": "COMPLETED"}, 5, None)
    assert done is not None and done.title == "run #5 backup_operations completed"
    assert done.body == "snapshot: b.db, 1.2 MB\nverify: integrity_check ok\nrotate: kept 7, removed 0"

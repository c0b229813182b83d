"""Versioned schema migrations, one line of versions for the whole store (PRAGMA user_version).

Each migration names the slices whose tables it creates or changes: a slice owns its tables, and its next
migration is appended here under its name. Never edit one that has shipped; a test keeps the versions
contiguous and every owner a real slice."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    owners: tuple[str, ...]
    sql: str


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        ("projects", "runs", "platform"),
        """
        CREATE TABLE projects (
            id        TEXT PRIMARY KEY,
            name      TEXT NOT NULL,
            kind      TEXT NOT NULL CHECK (kind IN ('local', 'github')),
            location  TEXT NOT NULL UNIQUE,
            pinned_at REAL NOT NULL,
            health    TEXT NOT NULL DEFAULT 'unknown'
        );
        CREATE TABLE runs (
            id         INTEGER PRIMARY KEY,
            flow       TEXT NOT NULL,
            project    TEXT,
            params     TEXT NOT NULL,
            state      TEXT NOT NULL,
            created_at REAL NOT NULL,
            started_at REAL,
            ended_at   REAL,
            error      TEXT
        );
        CREATE INDEX runs_by_state ON runs (state);
        CREATE INDEX runs_by_project ON runs (project, id);
        CREATE TABLE steps (
            run_id     INTEGER NOT NULL REFERENCES runs (id),
            idx        INTEGER NOT NULL,
            name       TEXT NOT NULL,
            state      TEXT NOT NULL,
            attempts   INTEGER NOT NULL DEFAULT 0,
            started_at REAL,
            ended_at   REAL,
            progress   REAL NOT NULL DEFAULT 0,
            message    TEXT NOT NULL DEFAULT '',
            error      TEXT,
            result     TEXT,
            PRIMARY KEY (run_id, idx)
        );
        -- The event log: seq is the single source of ordering. Append-only, enforced below.
        CREATE TABLE events (
            seq     INTEGER PRIMARY KEY,
            ts      REAL NOT NULL,
            kind    TEXT NOT NULL,
            run_id  INTEGER,
            project TEXT,
            data    TEXT NOT NULL
        );
        CREATE INDEX events_by_run ON events (run_id, seq) WHERE run_id IS NOT NULL;
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
        """,
    ),
    Migration(
        2,
        ("runs", "platform"),
        """
        -- Allowed state changes, refreshed from contexten.common.transitions at every start.
        CREATE TABLE run_transitions (from_state TEXT NOT NULL, to_state TEXT NOT NULL,
                                      PRIMARY KEY (from_state, to_state));
        CREATE TABLE step_transitions (from_state TEXT NOT NULL, to_state TEXT NOT NULL,
                                       PRIMARY KEY (from_state, to_state));
        CREATE TRIGGER runs_legal_transition BEFORE UPDATE OF state ON runs
            WHEN OLD.state != NEW.state AND NOT EXISTS
                (SELECT 1 FROM run_transitions WHERE from_state = OLD.state AND to_state = NEW.state)
            BEGIN SELECT RAISE(ABORT, 'illegal run state transition'); END;
        CREATE TRIGGER steps_legal_transition BEFORE UPDATE OF state ON steps
            WHEN OLD.state != NEW.state AND NOT EXISTS
                (SELECT 1 FROM step_transitions WHERE from_state = OLD.state AND to_state = NEW.state)
            BEGIN SELECT RAISE(ABORT, 'illegal step state transition'); END;
        -- The side-effect ledger: one row per idempotency key; 'pending' before the effect, 'done' after.
        CREATE TABLE effects (
            key        TEXT PRIMARY KEY,
            run_id     INTEGER NOT NULL,
            step       TEXT NOT NULL,
            status     TEXT NOT NULL CHECK (status IN ('pending', 'done')),
            result     TEXT,
            created_at REAL NOT NULL,
            done_at    REAL
        );
        CREATE INDEX effects_by_run ON effects (run_id);
        ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;
        -- Set when a run is cut off by a crash or a shutdown; cleared once it is resumed or given up.
        ALTER TABLE runs ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE steps ADD COLUMN failure TEXT;
        """,
    ),
    Migration(
        3,
        ("resilience",),
        """
        -- Circuit breakers that are not CLOSED survive a restart: a dependency that was down is not hammered.
        CREATE TABLE breakers (
            name       TEXT PRIMARY KEY,
            state      TEXT NOT NULL CHECK (state IN ('CLOSED', 'OPEN', 'HALF_OPEN')),
            reopen_at  REAL,
            updated_at REAL NOT NULL
        );
        """,
    ),
    Migration(
        4,
        ("resilience",),
        """
        -- What each recovery strategy achieved for each class of failure: the engine ranks by this.
        CREATE TABLE recovery_outcomes (
            failure_class TEXT NOT NULL,
            strategy      TEXT NOT NULL,
            attempts      INTEGER NOT NULL DEFAULT 0,
            successes     INTEGER NOT NULL DEFAULT 0,
            updated_at    REAL NOT NULL,
            PRIMARY KEY (failure_class, strategy)
        );
        -- Which run a recovery acted on, so a failed run is healed once, and its outcome can be traced.
        CREATE TABLE recoveries (
            run_id        INTEGER NOT NULL,
            failure_class TEXT NOT NULL,
            strategy      TEXT NOT NULL,
            outcome       TEXT NOT NULL,
            new_run_id    INTEGER,
            at            REAL NOT NULL
        );
        CREATE INDEX recoveries_by_run ON recoveries (run_id);
        """,
    ),
    Migration(
        5,
        ("runs",),
        """
        -- Why a PENDING run is waiting (which bulkhead is full), so the queue can be shown.
        ALTER TABLE runs ADD COLUMN waiting_for TEXT;
        """,
    ),
    Migration(
        6,
        ("connectors",),
        """
        -- The local tracker: the embedded default when no Linear (or other) tracker is configured.
        CREATE TABLE tracker_issues (
            id         INTEGER PRIMARY KEY,
            key        TEXT UNIQUE,          -- an idempotency key: creating twice with it returns the first
            title      TEXT NOT NULL,
            body       TEXT NOT NULL DEFAULT '',
            labels     TEXT NOT NULL DEFAULT '[]',
            state      TEXT NOT NULL DEFAULT 'backlog'
                       CHECK (state IN ('backlog', 'unstarted', 'started', 'completed', 'canceled')),
            parent_id  INTEGER REFERENCES tracker_issues (id),
            project    TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        """,
    ),
    Migration(
        7,
        ("connectors",),
        """
        -- The local forge: a pull request is a branch proposed for merge into the default branch.
        CREATE TABLE local_pull_requests (
            project    TEXT NOT NULL,
            number     INTEGER NOT NULL,
            title      TEXT NOT NULL,
            body       TEXT NOT NULL DEFAULT '',
            head       TEXT NOT NULL,
            base       TEXT NOT NULL,
            state      TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'merged', 'closed')),
            head_sha   TEXT NOT NULL,
            merge_sha  TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (project, number)
        );
        CREATE TABLE local_checks (
            project    TEXT NOT NULL,
            number     INTEGER NOT NULL,
            name       TEXT NOT NULL,
            head_sha   TEXT NOT NULL,
            status     TEXT NOT NULL,
            conclusion TEXT,
            summary    TEXT NOT NULL DEFAULT '',
            updated_at REAL NOT NULL,
            PRIMARY KEY (project, number, name, head_sha)
        );
        """,
    ),
    Migration(
        8,
        ("connectors", "work"),
        """
        -- The local tracker grows comments, links to pull requests, and when an issue was started.
        ALTER TABLE tracker_issues ADD COLUMN started_at REAL;
        ALTER TABLE local_pull_requests ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
        CREATE TABLE tracker_comments (
            id         INTEGER PRIMARY KEY,
            issue_id   INTEGER NOT NULL REFERENCES tracker_issues (id),
            body       TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        CREATE TABLE tracker_links (
            issue_id   INTEGER NOT NULL REFERENCES tracker_issues (id),
            url        TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (issue_id, url)
        );
        -- Every decision the issue sync made, and why.
        CREATE TABLE sync_log (
            id           INTEGER PRIMARY KEY,
            at           REAL NOT NULL,
            project      TEXT,
            issue        TEXT,
            pull_request TEXT,
            trigger      TEXT NOT NULL,
            decision     TEXT NOT NULL,
            from_state   TEXT,
            to_state     TEXT,
            reason       TEXT NOT NULL
        );
        CREATE INDEX sync_log_by_issue ON sync_log (issue, id);
        """,
    ),
    Migration(
        9,
        ("analysis",),
        """
        -- Reports stored by the analysis flows: the quality trend of each project.
        CREATE TABLE analysis_reports (
            id         INTEGER PRIMARY KEY,
            project    TEXT NOT NULL,
            run        INTEGER,
            flow       TEXT NOT NULL,
            scope      TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            summary    TEXT NOT NULL,
            report     TEXT NOT NULL
        );
        CREATE INDEX analysis_reports_by_project ON analysis_reports (project, id);
        """,
    ),
    Migration(
        10,
        ("runs",),
        """
        -- A client's idempotency key for run.start: a retried request returns the run the first one made.
        -- Written in the same transaction as the run, so a crash can never leave one without the other.
        CREATE TABLE run_keys (
            key        TEXT PRIMARY KEY,
            run_id     INTEGER NOT NULL,
            created_at REAL NOT NULL
        );
        """,
    ),
    Migration(
        11,
        ("projects",),
        """
        -- A client's idempotency key for project.pin: a retried pin returns the project the first one made.
        CREATE TABLE pin_keys (
            key        TEXT PRIMARY KEY,
            project    TEXT NOT NULL,
            created_at REAL NOT NULL
        );
        """,
    ),
    Migration(
        12,
        ("connectors",),
        """
        -- The local tracker's issue relations (one issue blocks another) and the order of sub-issues.
        CREATE TABLE tracker_relations (
            blocker_id INTEGER NOT NULL,
            blocked_id INTEGER NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (blocker_id, blocked_id)
        );
        CREATE INDEX tracker_relations_by_blocked ON tracker_relations (blocked_id);
        ALTER TABLE tracker_issues ADD COLUMN sort_order REAL NOT NULL DEFAULT 0;
        """,
    ),
    Migration(
        13,
        ("delivery",),
        """
        -- The Start Flow: a flow (requirements -> plan -> main issue) and its items (sub-issues and their
        -- attempts). Each row holds its model as JSON; state is a column so the open ones are found fast.
        CREATE TABLE work_flows (
            id         INTEGER PRIMARY KEY,
            key        TEXT UNIQUE,
            project    TEXT NOT NULL,
            state      TEXT NOT NULL,
            doc        TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX work_flows_by_state ON work_flows (state);
        CREATE TABLE work_items (
            flow       INTEGER NOT NULL,
            id         INTEGER NOT NULL,
            state      TEXT NOT NULL,
            doc        TEXT NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (flow, id)
        );
        """,
    ),
    Migration(
        14,
        ("notify",),
        """
        -- The notifications outbox: one row per (event, receiver) the routes send it to, written in the
        -- event's own transaction, then delivered. `remote` is the id the receiver gave it (Slack's ts);
        -- rows of one `grp` (a route's group of notices) go out as one message.
        CREATE TABLE notify_outbox (
            id         INTEGER PRIMARY KEY,
            seq        INTEGER NOT NULL,
            receiver   TEXT NOT NULL,
            route      TEXT NOT NULL,
            grp        TEXT NOT NULL DEFAULT '',
            notice     TEXT NOT NULL,
            state      TEXT NOT NULL,
            attempts   INTEGER NOT NULL DEFAULT 0,
            next_at    REAL NOT NULL,
            created_at REAL NOT NULL,
            sent_at    REAL,
            remote     TEXT,
            last_error TEXT,
            UNIQUE (seq, receiver)
        );
        CREATE INDEX notify_outbox_open ON notify_outbox (receiver, state, id);
        CREATE INDEX notify_outbox_groups ON notify_outbox (grp, state);
        """,
    ),
    Migration(
        15,
        ("notify",),
        """
        -- The notifications inbox: one row per open condition a person may need to act on (new ->
        -- acknowledged -> resolved), the escalation chain it climbs and the steps taken, its history (JSON).
        CREATE TABLE notify_inbox (
            id         INTEGER PRIMARY KEY,
            key        TEXT NOT NULL,
            seq        INTEGER NOT NULL,
            notice     TEXT NOT NULL,
            state      TEXT NOT NULL,
            count      INTEGER NOT NULL DEFAULT 1,
            chain      TEXT,
            taken      INTEGER NOT NULL DEFAULT 0,
            next_at    REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            history    TEXT NOT NULL DEFAULT '[]'
        );
        CREATE UNIQUE INDEX notify_inbox_open ON notify_inbox (key) WHERE state != 'resolved';
        -- Slack threads: the message a flow run's notices update in place, and reply under (per receiver).
        CREATE TABLE notify_threads (
            receiver TEXT NOT NULL,
            thread   TEXT NOT NULL,
            channel  TEXT NOT NULL,
            ts       TEXT NOT NULL,
            PRIMARY KEY (receiver, thread)
        );
        """,
    ),
    Migration(
        16,
        ("notify",),
        """
        -- The open condition an outbox row told of (an alert's key, a failed run), so a route's
        -- repeat_interval holds back its repeats across a restart too.
        ALTER TABLE notify_outbox ADD COLUMN condition TEXT;
        CREATE INDEX notify_outbox_conditions ON notify_outbox (condition) WHERE condition IS NOT NULL;
        """,
    ),
    Migration(
        17,
        ("ci",),
        """
        -- Each distinct failure of a project's CI, by the signature of its error: the tracker issue filed
        -- for it, how often and when it was seen, whether it is known flaky. `detail` is the last sighting.
        CREATE TABLE ci_failures (
            project    TEXT NOT NULL,
            signature  TEXT NOT NULL,
            kind       TEXT NOT NULL,
            title      TEXT NOT NULL,
            issue      TEXT,
            seen       INTEGER NOT NULL DEFAULT 1,
            flaky      INTEGER NOT NULL DEFAULT 0,
            first_seen REAL NOT NULL,
            last_seen  REAL NOT NULL,
            last_run   INTEGER NOT NULL,
            detail     TEXT NOT NULL,
            PRIMARY KEY (project, signature)
        );
        """,
    ),
    Migration(
        18,
        ("security",),
        """
        -- What security_audit found in a project, one row per finding (by a key that does not move with
        -- line numbers): a vulnerable locked package, a leaked secret (never the secret), risky code.
        -- `state` is open until an audit no longer finds it; `issue` is the tracker issue filed for it.
        CREATE TABLE security_findings (
            project    TEXT NOT NULL,
            key        TEXT NOT NULL,
            kind       TEXT NOT NULL,
            severity   TEXT NOT NULL,
            title      TEXT NOT NULL,
            location   TEXT NOT NULL,
            state      TEXT NOT NULL,
            issue      TEXT,
            first_seen REAL NOT NULL,
            last_seen  REAL NOT NULL,
            last_run   INTEGER NOT NULL,
            detail     TEXT NOT NULL,
            PRIMARY KEY (project, key)
        );
        """,
    ),
    Migration(
        19,
        ("ci",),
        """
        -- test_optimization's history: each run of a project's tests (totals) and each test's result in it,
        -- `flaky` when it failed and passed on the rerun of the same commit.
        CREATE TABLE test_runs (
            project   TEXT NOT NULL,
            run       INTEGER NOT NULL,
            framework TEXT NOT NULL,
            sha       TEXT NOT NULL,
            at        REAL NOT NULL,
            total     INTEGER NOT NULL,
            failed    INTEGER NOT NULL,
            skipped   INTEGER NOT NULL,
            seconds   REAL NOT NULL,
            PRIMARY KEY (project, run)
        );
        CREATE TABLE test_results (
            project  TEXT NOT NULL,
            run      INTEGER NOT NULL,
            test     TEXT NOT NULL,
            file     TEXT,
            outcome  TEXT NOT NULL,
            duration REAL NOT NULL,
            flaky    INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (project, run, test)
        );
        CREATE INDEX test_results_by_test ON test_results (project, test, run);
        """,
    ),
    Migration(
        20,
        ("analytics",),
        """
        -- The analytics read runs by the window they were created in, with every column they aggregate in
        -- the index (no table lookups); breakers' open time reads their state events through a partial
        -- index that holds only those (the event log's hot path pays nothing for the others).
        CREATE INDEX runs_by_created ON runs (created_at, project, flow, state, attempt, started_at, ended_at);
        CREATE INDEX events_breakers ON events (seq) WHERE kind = 'breaker.state';
        """,
    ),
]

LATEST = MIGRATIONS[-1].version

-- modelgate-store schema version 1. The same SQL for SQLite and PostgreSQL.
-- Times are milliseconds since the Unix epoch; heads are 64 lowercase hex digits.

-- One row per model (or run): the head of its trail, the seal over that head, and index
-- columns derived from the trail for queries. The trail itself is in modelgate_events.
CREATE TABLE modelgate_models (
    name          TEXT   NOT NULL,
    version       TEXT   NOT NULL,
    revision      BIGINT NOT NULL,
    head          TEXT   NOT NULL,
    seal          TEXT   NOT NULL,
    status        TEXT   NOT NULL,
    environment   TEXT   NOT NULL DEFAULT 'default',
    kind          TEXT   NOT NULL,
    last_action   TEXT,
    updated_at    BIGINT,
    submitted_seq BIGINT,
    deployed_at   BIGINT,
    PRIMARY KEY (name, version)
);

CREATE INDEX modelgate_models_by_status ON modelgate_models (status, environment);

-- One row per event, appended and never changed.
CREATE TABLE modelgate_events (
    name    TEXT   NOT NULL,
    version TEXT   NOT NULL,
    seq     BIGINT NOT NULL,
    at      BIGINT NOT NULL,
    prev    TEXT   NOT NULL,
    hash    TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    actor   TEXT,
    event   TEXT   NOT NULL,
    PRIMARY KEY (name, version, seq),
    FOREIGN KEY (name, version) REFERENCES modelgate_models (name, version)
);

CREATE INDEX modelgate_events_votes ON modelgate_events (name, version, actor, seq)
    WHERE action = 'voted';

-- Who may approve a model (ids or roles): from a run's pipeline, or set by the host.
CREATE TABLE modelgate_approvers (
    name     TEXT NOT NULL,
    version  TEXT NOT NULL,
    approver TEXT NOT NULL,
    PRIMARY KEY (name, version, approver),
    FOREIGN KEY (name, version) REFERENCES modelgate_models (name, version)
);

CREATE INDEX modelgate_approvers_by_approver ON modelgate_approvers (approver);

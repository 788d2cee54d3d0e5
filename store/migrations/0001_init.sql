-- modelgate-store schema version 1. The same SQL for SQLite and PostgreSQL.
-- Times are milliseconds since the Unix epoch; heads are 64 lowercase hex digits.
--
-- A model is keyed by its name, version and environment: the same name and version in two
-- environments (staging, and promoted, production) are two models with two trails.

-- One row per model (or run): its environment's approval window (part of the model's header,
-- with the name, version and environment, so in every hash of its trail), the head of its
-- trail, the seal over that head, and index columns derived from the trail for queries. The
-- trail itself is in modelgate_events.
CREATE TABLE modelgate_models (
    name                 TEXT   NOT NULL,
    version              TEXT   NOT NULL,
    environment          TEXT   NOT NULL,
    approval_validity_ms BIGINT,
    revision             BIGINT NOT NULL,
    head                 TEXT   NOT NULL,
    seal                 TEXT   NOT NULL,
    status               TEXT   NOT NULL,
    kind                 TEXT   NOT NULL,
    last_action          TEXT,
    updated_at           BIGINT,
    -- The seq of the latest event that opened a review round (submitted, or reopened).
    submitted_seq        BIGINT,
    -- When it last became its environment's current deployment (deployed, or reinstated).
    deployed_at          BIGINT,
    PRIMARY KEY (name, version, environment)
);

CREATE INDEX modelgate_models_by_status ON modelgate_models (status, environment);

-- One row per event, appended and never changed.
CREATE TABLE modelgate_events (
    name        TEXT   NOT NULL,
    version     TEXT   NOT NULL,
    environment TEXT   NOT NULL,
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    prev        TEXT   NOT NULL,
    hash        TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    actor       TEXT,
    event       TEXT   NOT NULL,
    PRIMARY KEY (name, version, environment, seq),
    FOREIGN KEY (name, version, environment)
        REFERENCES modelgate_models (name, version, environment)
);

CREATE INDEX modelgate_events_votes ON modelgate_events (name, version, environment, actor, seq)
    WHERE action = 'voted';

-- Who may approve a model (ids or roles): from a run's pipeline, or set by the host.
CREATE TABLE modelgate_approvers (
    name        TEXT NOT NULL,
    version     TEXT NOT NULL,
    environment TEXT NOT NULL,
    approver    TEXT NOT NULL,
    PRIMARY KEY (name, version, environment, approver),
    FOREIGN KEY (name, version, environment)
        REFERENCES modelgate_models (name, version, environment)
);

CREATE INDEX modelgate_approvers_by_approver ON modelgate_approvers (approver);

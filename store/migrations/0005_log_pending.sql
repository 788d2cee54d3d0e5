-- modelgate-store schema version 5. The same SQL for SQLite and PostgreSQL.
--
-- Leaves written but not yet in the tree. A write adds its trail's leaf here, in its own
-- transaction, without waiting for any other writer; the log's sequencer (`Store::log_head`,
-- `checkpoint`, `log_leaves`) moves every committed pending leaf into `modelgate_log` under the
-- log's one lock, in one transaction: next indexes with no gap, their tree hashes, the pending
-- rows deleted, in the order of key, then revision: a model's leaves keep the order of its
-- writes (which commit one after another, each at the next revision). A
-- check against a held checkpoint reads these rows with the log's, in one snapshot, as the
-- leaves that come after it. A trail put back to an older revision and written again has two
-- pending leaves of that revision, both kept (the log shows the rollback to a held checkpoint).
CREATE TABLE modelgate_log_pending (
    name        TEXT   NOT NULL,
    version     TEXT   NOT NULL,
    environment TEXT   NOT NULL,
    revision    BIGINT NOT NULL,
    head        TEXT   NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (name, version, environment, revision, head)
);

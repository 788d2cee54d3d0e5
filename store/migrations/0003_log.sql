-- modelgate-store schema version 3. The same SQL for SQLite and PostgreSQL.
--
-- The log of heads (`modelgate::log`): one row per change of any trail's head, appended in the
-- transaction of the write that made it (`create`, `append`, `save_registry`). Leaf `idx` is the
-- leaf's index in the RFC 9162 Merkle tree, from 0, with no gaps; the tree's hashes are
-- recomputed from these rows (`Store::checkpoint`), so a row edited by hand changes the root and
-- is seen by whoever holds an earlier signed checkpoint. `at` is the time of the trail's last
-- event, in milliseconds since the epoch (0 for a trail of its header alone).
CREATE TABLE modelgate_log (
    idx         BIGINT NOT NULL PRIMARY KEY,
    name        TEXT   NOT NULL,
    version     TEXT   NOT NULL,
    environment TEXT   NOT NULL,
    head        TEXT   NOT NULL,
    revision    BIGINT NOT NULL,
    at          BIGINT NOT NULL
);

CREATE INDEX modelgate_log_trail ON modelgate_log (name, version, environment, idx);

-- A store written before the log: each model's current head is its first leaf, in key order.
INSERT INTO modelgate_log (idx, name, version, environment, head, revision, at)
SELECT ROW_NUMBER() OVER (ORDER BY name, version, environment) - 1, name, version, environment,
       head, revision, COALESCE(updated_at, 0)
FROM modelgate_models;

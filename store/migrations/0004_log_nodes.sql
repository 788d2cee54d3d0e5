-- modelgate-store schema version 4. The same SQL for SQLite and PostgreSQL.
--
-- The log's tree hashes (`modelgate::log::StoredTree`): the hash of every complete subtree of
-- `2^level` leaves from leaf `idx << level` (level 0: the leaf hashes), 64 hex digits, written
-- in the transaction that appends the leaf closing it and never changed. A checkpoint reads one
-- row per bit set in the log's size, a proof O(log n) rows. The leaves stay the record:
-- `Store::verify_log` recomputes the tree from them and refuses stored hashes that disagree.
-- A log written before this version is backfilled from its leaves when the store is opened.
CREATE TABLE modelgate_log_nodes (
    level INTEGER NOT NULL,
    idx   BIGINT  NOT NULL,
    hash  TEXT    NOT NULL,
    PRIMARY KEY (level, idx)
);

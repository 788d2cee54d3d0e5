-- modelgate-store schema version 2. The same SQL for SQLite and PostgreSQL.
--
-- What was not sealed in version 1: which members a registry has, and who may approve a model.
-- Each member's trail is sealed, but deleting a member's rows, or setting its `kind` to
-- `model`, left a registry that loaded without it; an approvers row inserted by hand put a
-- model in a reviewer's queue.

-- One row per registry: its members' index, sealed by the host. `members` is a JSON array of
-- `[environment, version, head]`, ordered by environment, then version (byte order); `seal` is
-- the host's seal over the core's index head of the registry's name and those entries
-- (`Head::of_registry`, the index a `StoredRegistry` seals). Written in the transaction of
-- every write to a member (`save_registry`, `append`); `revision` counts those writes, for
-- compare-and-swap.
CREATE TABLE modelgate_registries (
    name     TEXT   NOT NULL PRIMARY KEY,
    revision BIGINT NOT NULL,
    members  TEXT   NOT NULL,
    seal     TEXT   NOT NULL
);

-- The host's seal over the model's approvers (its key and the sorted set of ids and roles in
-- modelgate_approvers), written with them; NULL when none were set. A reviewer's queue lists a
-- model only if this seal verifies over the approvers rows as they are.
ALTER TABLE modelgate_models ADD COLUMN approvers_seal TEXT;

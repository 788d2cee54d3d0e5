#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL cluster:
#
#   scripts/with-postgres.sh cargo test -p modelgate-store --all-features
#
# initdb into a temp dir (as the `postgres` user when run as root: the server refuses root),
# listen on 127.0.0.1 on a free port, create a database, export
#   MODELGATE_PG_URL=postgres://postgres@127.0.0.1:<port>/modelgate
#   MODELGATE_REQUIRE_PG=1     (the PostgreSQL tests fail instead of skipping)
# run the command, and stop and delete the cluster on exit, whatever happened.
# Needs PostgreSQL's server binaries (Debian: apt-get install postgresql-15); fails loudly
# without them.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 <command> [args…]" >&2
    exit 2
fi

fail() {
    echo >&2
    echo "with-postgres: ERROR: $*" >&2
    echo >&2
    exit 1
}

bindir=""
if command -v pg_config >/dev/null 2>&1; then
    bindir="$(pg_config --bindir)"
fi
if [ -z "${bindir}" ] || [ ! -x "${bindir}/initdb" ]; then
    # Debian's pg_config (libpq-dev) names /usr/bin; the server binaries are versioned.
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -x "${candidate}/initdb" ] && bindir="${candidate}"
    done
fi
if [ -z "${bindir}" ] || [ ! -x "${bindir}/initdb" ] || [ ! -x "${bindir}/pg_ctl" ]; then
    fail "PostgreSQL server binaries not found (pg_config --bindir: '${bindir:-no pg_config}').
Install them (Debian: apt-get install postgresql-15) — the PostgreSQL tests cannot be skipped here."
fi

# Who runs the server: the invoking user, or `postgres` when that is root.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || fail "running as root, but there is no 'postgres' user to run the server as"
    if command -v runuser >/dev/null 2>&1; then
        as_pg=(runuser -u postgres --)
    else
        as_pg=(su postgres -s /bin/sh -c)
    fi
fi
run_pg() {
    if [ "${#as_pg[@]}" -eq 0 ]; then
        "$@"
    elif [ "${as_pg[0]}" = "su" ]; then
        "${as_pg[@]}" "$(printf '%q ' "$@")"
    else
        "${as_pg[@]}" "$@"
    fi
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/modelgate-pg.XXXXXX")"
chmod 755 "${tmp}"
data="${tmp}/data"
sockets="${tmp}/sockets"
mkdir -p "${data}" "${sockets}"
if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "${tmp}"
fi

started=0
cleanup() {
    status=$?
    if [ "${started}" -eq 1 ]; then
        run_pg "${bindir}/pg_ctl" -D "${data}" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "${tmp}"
    exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port: bind to port 0 and read what the kernel chose.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

echo "with-postgres: initdb into ${data} (PostgreSQL binaries in ${bindir})" >&2
run_pg "${bindir}/initdb" -D "${data}" -U postgres -A trust -E UTF8 --no-locale >"${tmp}/initdb.log" 2>&1 \
    || { cat "${tmp}/initdb.log" >&2; fail "initdb failed"; }

started=1
run_pg "${bindir}/pg_ctl" -D "${data}" -l "${tmp}/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p ${port} -k ${sockets} -c max_connections=200 -c fsync=off" start >/dev/null \
    || { cat "${tmp}/server.log" >&2; fail "the server did not start"; }

run_pg "${bindir}/createdb" -h 127.0.0.1 -p "${port}" -U postgres modelgate \
    || fail "createdb failed"

export MODELGATE_PG_URL="postgres://postgres@127.0.0.1:${port}/modelgate"
export MODELGATE_REQUIRE_PG=1
echo "with-postgres: PostgreSQL on 127.0.0.1:${port}; MODELGATE_PG_URL=${MODELGATE_PG_URL}" >&2

"$@"

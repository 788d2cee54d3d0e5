#!/usr/bin/env bash
# Workload W2 side by side: MLflow's model registry and modelgate-store (issue 19).
# Not run in CI. From the repository's root:
#
#   store/benches/mlflow/run.sh                              # SQLite files only
#   scripts/with-postgres.sh store/benches/mlflow/run.sh     # and a throw-away PostgreSQL
#
# 1. a venv in target/mlflow-venv with mlflow (and psycopg2-binary when MODELGATE_PG_URL is set);
# 2. W2 in MLflow (w2_mlflow.py: MlflowClient on the database itself, no server);
# 3. W2 in modelgate-store (store/examples/w2.rs, built with `cargo build --release`);
# 4. one table: backend × versions → MLflow versions/s, modelgate versions/s, ratio.
#
# Each (backend, side, versions) gets a fresh database: a SQLite file in a temp dir, or a
# PostgreSQL database created in MODELGATE_PG_URL's cluster and dropped afterwards.
# Environment: W2_VERSIONS (default "100 1000"); CARGO (default "cargo": set it to
# "flock /tmp/cargo.lock cargo" on a machine whose builds share a lock).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../../.." && pwd)"
cd "${root}"

versions=(${W2_VERSIONS:-100 1000})
cargo_cmd=(${CARGO:-cargo})
target="${CARGO_TARGET_DIR:-${root}/target}"
venv="${root}/target/mlflow-venv"
py="${venv}/bin/python"

# 1. The venv.
if [ ! -x "${py}" ]; then
    echo "run.sh: creating ${venv}" >&2
    python3 -m venv "${venv}"
fi
"${py}" -c 'import mlflow' 2>/dev/null || "${py}" -m pip install --quiet mlflow
if [ -n "${MODELGATE_PG_URL:-}" ]; then
    "${py}" -c 'import psycopg2' 2>/dev/null || "${py}" -m pip install --quiet psycopg2-binary
fi
mlflow_version="$("${py}" -c 'import mlflow; print(mlflow.__version__)')"

# 3. (built first, so that no build runs while anything is timed)
"${cargo_cmd[@]}" build --release --quiet -p modelgate-store --all-features --example w2
w2="${target}/release/examples/w2"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/modelgate-w2.XXXXXX")"
pg_dbs=()
cleanup() {
    status=$?
    for db in "${pg_dbs[@]}"; do
        "${py}" "${here}/pg.py" drop "${MODELGATE_PG_URL}" "${db}" >/dev/null 2>&1 || true
    done
    rm -rf "${tmp}"
    exit "${status}"
}
trap cleanup EXIT

backends=(sqlite)
if [ -n "${MODELGATE_PG_URL:-}" ]; then
    backends+=(postgres)
else
    echo "run.sh: MODELGATE_PG_URL is not set; PostgreSQL is not measured" >&2
fi

# A fresh database for (backend, side, n): prints the URL the side opens.
fresh() {
    local backend=$1 side=$2 n=$3
    if [ "${backend}" = sqlite ]; then
        local file="${tmp}/${side}-${n}.db"
        if [ "${side}" = mlflow ]; then
            echo "sqlite:///${file}"
        else
            echo "sqlite://${file}?mode=rwc"
        fi
    else
        local db="w2_${side}_${n}_$$"
        pg_dbs+=("${db}")
        local url
        url="$("${py}" "${here}/pg.py" create "${MODELGATE_PG_URL}" "${db}")"
        if [ "${side}" = mlflow ]; then
            echo "postgresql+psycopg2://${url#*://}"
        else
            echo "${url}"
        fi
    fi
}

results="${tmp}/results"
steps="${tmp}/steps"
: >"${results}"
: >"${steps}"
for backend in "${backends[@]}"; do
    for n in "${versions[@]}"; do
        # Not `$(fresh …)`: pg_dbs must be kept in this shell for the cleanup.
        fresh "${backend}" mlflow "${n}" >"${tmp}/url"
        url="$(cat "${tmp}/url")"
        echo "run.sh: ${backend}, ${n} versions: MLflow" >&2
        m="$("${py}" "${here}/w2_mlflow.py" "${url}" "${n}" 2>>"${tmp}/mlflow.log")" \
            || { cat "${tmp}/mlflow.log" >&2; exit 1; }
        grep "^mlflow ${n}:" "${tmp}/mlflow.log" | tail -1 | sed "s/^/${backend} /" >>"${steps}"

        fresh "${backend}" modelgate "${n}" >"${tmp}/url"
        url="$(cat "${tmp}/url")"
        echo "run.sh: ${backend}, ${n} versions: modelgate" >&2
        g="$("${w2}" "${url}" "${n}" 2>>"${tmp}/modelgate.log")" \
            || { cat "${tmp}/modelgate.log" >&2; exit 1; }
        grep "^modelgate ${n}:" "${tmp}/modelgate.log" | tail -1 | sed "s/^/${backend} /" >>"${steps}"

        echo "${backend} ${n} ${m##* } ${g##* }" >>"${results}"
    done
done

# 4. The table.
echo
echo "W2 (create, 2 approvals, decide, deploy, read back), one version after another"
echo "MLflow ${mlflow_version} (MlflowClient on the database, no server) vs modelgate-store; $(date -u +%Y-%m-%d)"
echo
echo "| backend | versions | MLflow versions/s | modelgate versions/s | modelgate / MLflow |"
echo "| --- | ---: | ---: | ---: | ---: |"
while read -r backend n mv gv; do
    name="SQLite"
    [ "${backend}" = postgres ] && name="PostgreSQL"
    ratio="$(awk -v a="${gv}" -v b="${mv}" 'BEGIN { printf "%.2f", a / b }')"
    printf '| %s | %s | %s | %s | %s |\n' "${name}" "${n}" "${mv}" "${gv}" "${ratio}"
done <"${results}"
echo
echo "Per step (ms per version):"
sed 's/^/  /' "${steps}"

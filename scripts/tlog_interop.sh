#!/usr/bin/env bash
# The log of heads against Go's reference implementation (golang.org/x/mod/sumdb/note and
# .../tlog from Debian's golang-golang-x-mod-dev, built with Debian's Go; no module download):
# the crate writes checkpoints and proofs, Go verifies and recomputes them and signs its own,
# the crate verifies Go's. Installs Go and the package if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-golang-x-mod-dev >/dev/null
fi
dir=target/tlog-interop
rm -rf "$dir"
cargo run --quiet --features log --example log_interop -- emit "$dir"
(cd scripts/tlog_interop && GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$PWD/../../target/go-cache" go run . verify "../../$dir")
cargo run --quiet --features log --example log_interop -- check-go "$dir"

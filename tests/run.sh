#!/usr/bin/env bash
# The whole test suite, as the README gives it: installs the system packages the
# system tests need when they are missing, builds the release binary once, then runs
# unit, golden, simulation and system tests (SIPp, baresip against the release binary).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
command -v baresip >/dev/null 2>&1 || need+=(baresip)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v curl >/dev/null 2>&1 || need+=(curl)
if ((${#need[@]})); then
  echo "installing system packages: ${need[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q "${need[@]}" >/dev/null
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TERM_COLOR=never
cargo build --release --locked --bin centralino
export CENTRALINO_BIN="$CARGO_TARGET_DIR/release/centralino"

# A throwaway PostgreSQL (127.0.0.1:55432) for the store tests, which also run on
# SQLite; tests/postgres.sh installs and starts it when missing.
eval "$(bash tests/postgres.sh)"

# Unit, golden, property and simulation tests of every crate.
cargo test --workspace --locked --exclude centralino-tests
# System tests: real peers against the release binary, one at a time (they share
# loopback addresses with fixed roles: 127.0.0.11 is the carrier, and so on).
cargo test -p centralino-tests --locked -- --test-threads=1

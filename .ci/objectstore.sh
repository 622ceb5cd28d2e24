#!/usr/bin/env bash
# Starts an S3-compatible object store for the tests (the Versity S3 gateway
# over a POSIX folder), installing it first if needed; idempotent: a gateway
# already answering on the port is reused. Source it to get the
# SILLAGE_TEST_S3_* variables:
#
#   . .ci/objectstore.sh
#
# The tests' bucket is created by the tests themselves (one per test run).
# Sourced by .ci/run (set -euo pipefail there).

VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
S3_PORT="${SILLAGE_CI_S3_PORT:-7070}"
S3_DIR="${SILLAGE_CI_S3_DIR:-${TMPDIR:-/tmp}/sillage-ci-s3}"
S3_ACCESS="sillage-ci"
S3_SECRET="sillage-ci-secret-key"

gw="$(go env GOPATH)/bin/versitygw"
if [ ! -x "$gw" ]; then
  start=$(date +%s)
  go install "github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}"
  echo "objectstore: versitygw ${VERSITYGW_VERSION} installed in $(( $(date +%s) - start )) s"
fi

answering() { (exec 3<>"/dev/tcp/127.0.0.1/${S3_PORT}") 2>/dev/null; }

if ! answering; then
  mkdir -p "$S3_DIR/data" "$S3_DIR/meta"
  # Detached: it outlives this script, like the PostgreSQL .ci/run starts.
  ROOT_ACCESS_KEY="$S3_ACCESS" ROOT_SECRET_KEY="$S3_SECRET" \
    nohup "$gw" --port "127.0.0.1:${S3_PORT}" --quiet posix --sidecar "$S3_DIR/meta" "$S3_DIR/data" \
    >"$S3_DIR/versitygw.log" 2>&1 &
  echo $! >"$S3_DIR/versitygw.pid"
  for _ in $(seq 1 50); do answering && break; sleep 0.2; done
fi
if ! answering; then
  echo "objectstore: the S3 gateway does not answer on port ${S3_PORT}:" >&2
  tail -20 "$S3_DIR/versitygw.log" >&2 || true
  exit 1
fi

export SILLAGE_TEST_S3_ENDPOINT="127.0.0.1:${S3_PORT}"
export SILLAGE_TEST_S3_ACCESS_KEY="$S3_ACCESS"
export SILLAGE_TEST_S3_SECRET_KEY="$S3_SECRET"
export SILLAGE_TEST_S3_REGION="us-east-1"

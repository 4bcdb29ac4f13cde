#!/usr/bin/env bash
# Brings up a local PostgreSQL for the metadata-store contract tests and prints the URL to use.
#
#   eval "$(bash .ci/start-postgres.sh)"     # sets STEWARD_TEST_POSTGRES_URL in the calling shell
#
# Safe to run again: every step checks before it acts. Runs as root (as CI does); progress goes to
# stderr so that stdout carries only the `export` line.
set -euo pipefail

ROLE="${STEWARD_PG_ROLE:-steward}"
PASSWORD="${STEWARD_PG_PASSWORD:-steward}"
DATABASE="${STEWARD_PG_DATABASE:-steward_test}"
HOST=127.0.0.1

log() { printf 'start-postgres: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (it installs packages and starts the cluster as the postgres user)"
  exit 1
fi

# 1. The server package.
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
CLUSTER=main

# 2. A cluster (the package normally creates one; a hand-cleaned machine may have none).
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
  log "creating cluster $VERSION/$CLUSTER"
  pg_createcluster "$VERSION" "$CLUSTER" >&2
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"

# 3. Started.
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c && $4 ~ /^online/ { found = 1 } END { exit !found }'; then
  log "starting cluster $VERSION/$CLUSTER on port $PORT"
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

# 4. Accepting connections over TCP (the tests connect to 127.0.0.1, not the socket).
for _ in $(seq 1 60); do
  if pg_isready -q -h "$HOST" -p "$PORT"; then break; fi
  sleep 1
done
if ! pg_isready -q -h "$HOST" -p "$PORT"; then
  log "PostgreSQL $VERSION did not accept connections on $HOST:$PORT within 60 s; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"
  exit 1
fi

as_postgres() { runuser -u postgres -- psql -p "$PORT" -v ON_ERROR_STOP=1 -qtA "$@"; }

# 5. The role (allowed to create databases: each test run makes its own) and its database.
if [ "$(as_postgres -c "select 1 from pg_roles where rolname = '$ROLE'")" != "1" ]; then
  log "creating role $ROLE"
  as_postgres -c "create role \"$ROLE\" login createdb password '$PASSWORD'"
else
  as_postgres -c "alter role \"$ROLE\" login createdb password '$PASSWORD'"
fi
if [ "$(as_postgres -c "select 1 from pg_database where datname = '$DATABASE'")" != "1" ]; then
  log "creating database $DATABASE"
  as_postgres -c "create database \"$DATABASE\" owner \"$ROLE\""
fi

# 6. Prove the URL works with the password, as the tests will use it.
URL="postgres://$ROLE:$PASSWORD@$HOST:$PORT/$DATABASE"
if ! PGPASSWORD="$PASSWORD" psql "postgresql://$ROLE@$HOST:$PORT/$DATABASE" -qtAc 'select 1' >/dev/null; then
  log "cannot log in as $ROLE on $HOST:$PORT (check pg_hba.conf allows password logins from $HOST)"
  exit 1
fi

log "PostgreSQL $VERSION is ready at $HOST:$PORT"
printf 'export STEWARD_TEST_POSTGRES_URL=%s\n' "$URL"

#!/usr/bin/env bash
# Starts Debian's PostgreSQL 15 on loopback only and prepares the test role and database.
# Idempotent: safe to run when the cluster is already up. Must run as root. The last line on
# stdout is the database URL, so a caller can do:
#   export TRICIRCLE_TEST_POSTGRES_URL=$(bash scripts/postgres.sh | tail -1)
# Progress goes to stderr.
set -euo pipefail

PG_VERSION=15
PG_CLUSTER=main
PG_HOST=127.0.0.1
PG_PORT=5432
DB_USER=tricircle
DB_PASSWORD=tricircle
DB_NAME=tricircle_test
WAIT_SECONDS=30

log() { echo "postgres: $*" >&2; }
die() {
  log "$*"
  exit 1
}

admin_psql() {
  runuser -u postgres -- psql --no-psqlrc -v ON_ERROR_STOP=1 -qAt -p "$PG_PORT" "$@"
}

cluster_status() {
  # Prints the status column (online/down) or nothing if the cluster does not exist.
  pg_lsclusters --no-header 2>/dev/null |
    awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c { print $4 }'
}

[[ $EUID -eq 0 ]] || die "run as root (needs runuser and pg_ctlcluster)"
command -v pg_createcluster >/dev/null || die "postgresql-common missing; run scripts/system-deps.sh"
[[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] ||
  die "postgresql-$PG_VERSION missing; run scripts/system-deps.sh"

if [[ -z "$(cluster_status)" ]]; then
  log "creating cluster $PG_VERSION/$PG_CLUSTER"
  pg_createcluster --port "$PG_PORT" "$PG_VERSION" "$PG_CLUSTER" >&2
fi

# A conf.d drop-in (included last by Debian's postgresql.conf) rather than pg_conftool, which
# writes 127.0.0.1 unquoted and so produces a file PostgreSQL refuses to parse.
conf_dir=/etc/postgresql/$PG_VERSION/$PG_CLUSTER/conf.d
dropin=$conf_dir/tricircle-test.conf
wanted="listen_addresses = '$PG_HOST'"
restart=no
if [[ "$(cat "$dropin" 2>/dev/null || true)" != "$wanted" ]]; then
  log "setting $wanted in $dropin"
  mkdir -p "$conf_dir"
  printf '%s\n' "$wanted" >"$dropin"
  chown postgres:postgres "$dropin"
  restart=yes
fi
if [[ "$(pg_conftool -s "$PG_VERSION" "$PG_CLUSTER" show port)" != "$PG_PORT" ]]; then
  die "cluster $PG_VERSION/$PG_CLUSTER is configured for another port than $PG_PORT"
fi

logfile=/var/log/postgresql/postgresql-$PG_VERSION-$PG_CLUSTER.log
fail_with_log() {
  log "$1; tail of $logfile:"
  tail -n 30 "$logfile" >&2 || true
  exit 1
}

if [[ "$(cluster_status)" == online ]]; then
  if [[ $restart == yes ]]; then
    log "restarting $PG_VERSION/$PG_CLUSTER to apply listen_addresses"
    pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" restart >&2 || fail_with_log "restart failed"
  fi
else
  log "starting $PG_VERSION/$PG_CLUSTER"
  pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2 || fail_with_log "start failed"
fi

for ((i = 0; ; i++)); do
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break
  ((i < WAIT_SECONDS * 2)) || fail_with_log "not ready on $PG_HOST:$PG_PORT after ${WAIT_SECONDS}s"
  sleep 0.5
done
log "ready on $PG_HOST:$PG_PORT"

# Password and CREATEDB are (re)applied every run so the role always matches what tests expect.
if [[ "$(admin_psql -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]]; then
  log "creating role $DB_USER"
  admin_psql -c "CREATE ROLE $DB_USER LOGIN"
fi
admin_psql -c "ALTER ROLE $DB_USER WITH LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
# DROP DATABASE … WITH (FORCE) ends other sessions of the test role's databases, which needs this.
admin_psql -c "GRANT pg_signal_backend TO $DB_USER"

if [[ "$(admin_psql -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
  log "creating database $DB_NAME"
  admin_psql -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
fi

url="postgres://$DB_USER:$DB_PASSWORD@$PG_HOST:$PG_PORT/$DB_NAME"
PGPASSWORD=$DB_PASSWORD psql --no-psqlrc -qAt -h "$PG_HOST" -p "$PG_PORT" -U "$DB_USER" -d "$DB_NAME" \
  -c 'SELECT 1' >/dev/null || die "cannot connect as $DB_USER to $DB_NAME over TCP"
echo "$url"

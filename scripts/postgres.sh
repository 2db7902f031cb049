#!/usr/bin/env bash
# A PostgreSQL server for the engine tests, on loopback only: installs Debian's package when missing,
# creates and starts the cluster `csw` (port CSW_PG_PORT, default 54329), and a login role and database
# for the warehouse. Idempotent, so CI and developers can call it before every test run.
#
# Prints the connection settings as shell `export` lines on stdout (everything else goes to stderr):
#   eval "$(scripts/postgres.sh)"
# The password is CSW_PG_PASSWORD when set, else a new random one per call (the role is updated to it).
set -euo pipefail

PORT="${CSW_PG_PORT:-54329}"
ROLE="${CSW_PG_USER:-cs_warehouse}"
DATABASE="${CSW_PG_DATABASE:-cs_warehouse}"
# BI serving (cs_warehouse.engines.pg_serving) publishes to its own database, apart from the dbt target's.
SERVING_DATABASE="${CSW_PG_SERVING_DATABASE:-cs_serving}"
READER_PASSWORD="${CSW_BI_READER_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
PASSWORD="${CSW_PG_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
CLUSTER=csw

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

if ! command -v pg_createcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing PostgreSQL from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
fi
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"

if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
  $SUDO pg_createcluster "$VERSION" "$CLUSTER" -p "$PORT" -- --auth-local=peer --auth-host=scram-sha-256 >&2
  # No network exposure: loopback only (Debian's pg_hba asks loopback clients for a password). Durability
  # off: a test server, rebuilt from generated data on every run.
  printf "%s\n" "listen_addresses = '127.0.0.1'" "fsync = off" "synchronous_commit = off" "full_page_writes = off" |
    $SUDO tee "/etc/postgresql/$VERSION/$CLUSTER/conf.d/csw.conf" >/dev/null
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $3}')"
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
  $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@" >&2; }

for _ in $(seq 1 30); do
  as_postgres pg_isready -q -p "$PORT" && break
  sleep 0.5
done

# CREATEROLE: the BI publish step creates and refreshes the read-only reader role itself.
psql_admin -v role="$ROLE" -v password="$PASSWORD" <<'SQL'
select format('create role %I login', :'role')
where not exists (select from pg_roles where rolname = :'role') \gexec
alter role :"role" with login createrole password :'password';
SQL
for db in "$DATABASE" "$SERVING_DATABASE"; do
  if [ -z "$(as_postgres psql -X -tA -p "$PORT" -d postgres -c "select 1 from pg_database where datname = '$db'")" ]; then
    as_postgres createdb -p "$PORT" -O "$ROLE" "$db" >&2
  fi
done

printf 'export CSW_PG_HOST=127.0.0.1\n'
printf 'export CSW_PG_PORT=%s\n' "$PORT"
printf 'export CSW_PG_USER=%s\n' "$ROLE"
printf 'export CSW_PG_PASSWORD=%s\n' "$PASSWORD"
printf 'export CSW_PG_DATABASE=%s\n' "$DATABASE"
printf 'export CSW_PG_SERVING_DATABASE=%s\n' "$SERVING_DATABASE"
printf 'export CSW_BI_READER_PASSWORD=%s\n' "$READER_PASSWORD"

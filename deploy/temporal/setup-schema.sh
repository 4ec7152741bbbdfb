#!/bin/sh
# One-shot (temporalio/admin-tools): creates Temporal's two databases if missing and brings their
# schemas to the version this admin-tools image ships. Safe to run again on every `up`, and the way
# to upgrade the schema before a newer temporalio/server starts (docs/OPERATIONS.md).
set -eu
: "${POSTGRES_SEEDS:?}" "${TEMPORAL_DB_USER:?}" "${SQL_PASSWORD:?}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  # SQL_PASSWORD is read from the environment, so the password never appears in a process list.
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$TEMPORAL_DB_USER" "$@"
}

setup() {
  database="$1"
  versioned="$2"
  # `create` fails when the database exists (a second run): that is fine, the schema steps below
  # fail loudly if the database is really unusable.
  sql_tool --db "$database" create || echo "database $database exists"
  sql_tool --db "$database" setup-schema -v 0.0
  sql_tool --db "$database" update-schema -d "$SCHEMA_DIR/$versioned/versioned"
}

setup temporal temporal
setup temporal_visibility visibility
echo "Temporal schemas are current"

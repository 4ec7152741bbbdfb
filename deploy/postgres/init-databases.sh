#!/bin/sh
# Runs once, when the Postgres volume is initialised (docker-entrypoint-initdb.d). Two roles, each
# owning only its own databases: `temporal` (Temporal's `temporal` and `temporal_visibility`, created
# by temporal-sql-tool in deploy/temporal/setup-schema.sh, hence CREATEDB) and `duo_sync` (the app).
set -eu
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD must be set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE duo_sync LOGIN PASSWORD :'app_password';
CREATE DATABASE duo_sync OWNER duo_sync;
SQL

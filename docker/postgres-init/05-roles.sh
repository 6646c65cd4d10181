#!/bin/sh
# Creates the platform's two roles and hands the global database to the owner:
#   betting_owner  owns every database, schema, table, trigger and function; only the migrate
#                  job connects as it (DATABASE_OWNER_URL).
#   betting_app    every other process (DATABASE_URL): rows only, granted by `migrate_all`;
#                  it owns nothing, so it cannot alter or drop a table or trigger, nor truncate.
# The postgres image runs this once, on an empty data directory, before 10-shard-databases.sh.
set -e

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v db="$POSTGRES_DB" \
    -v owner_password="$POSTGRES_OWNER_PASSWORD" -v app_password="$POSTGRES_APP_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE betting_owner LOGIN CREATEDB PASSWORD %L', :'owner_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'betting_owner')
\gexec
SELECT format('CREATE ROLE betting_app LOGIN PASSWORD %L', :'app_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'betting_app')
\gexec
SELECT format('ALTER DATABASE %I OWNER TO betting_owner', :'db')
\gexec
SQL

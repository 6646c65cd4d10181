#!/bin/sh
# Creates the shard databases next to the global one, named <POSTGRES_DB>_shard_<k> for
# k = 0..SHARD_COUNT-1 (betting_shard_0 and betting_shard_1 by default), which is the name the
# settings derive from DATABASE_URL, owned by betting_owner (05-roles.sh). The postgres image
# runs this once, when it initialises an empty data directory; schemas and tables are created
# afterwards by `manage.py migrate_all`.
# Written so it is also safe if the entrypoint sources it instead of executing it.
set -e

betting_shard_count="${SHARD_COUNT:-2}"
betting_shard=0
while [ "$betting_shard" -lt "$betting_shard_count" ]; do
    betting_shard_db="${POSTGRES_DB}_shard_${betting_shard}"
    echo "betting: creating shard database ${betting_shard_db}"
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
        -v db="$betting_shard_db" -v owner=betting_owner <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')
\gexec
SQL
    betting_shard=$((betting_shard + 1))
done

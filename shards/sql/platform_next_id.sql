-- platform_shard() and platform_next_id(): ids that encode their shard (shards/ids.py holds
-- the layout: 41 bits of milliseconds since 2025-01-01, 10 bits of shard, 12 of sequence).
-- The migration fills in the shard's number, this database's, where the placeholder stands.
-- Reads and writes: the sequence platform_id_seq (nextval). No tables.
-- Locks: none.
CREATE OR REPLACE FUNCTION platform_shard() RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT %(shard)s $$;
CREATE SEQUENCE IF NOT EXISTS platform_id_seq;
CREATE OR REPLACE FUNCTION platform_next_id() RETURNS bigint
    LANGUAGE sql VOLATILE AS $$
    SELECT ((floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1735689600000)
                << 22)
         | (platform_shard()::bigint << 12)
         | (nextval('platform_id_seq') & 4095)
$$;

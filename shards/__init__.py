"""The shards core: where data lives, how a player's id names its shard, and how work reaches
the shard's database and worker pool. Nothing in here knows about products."""

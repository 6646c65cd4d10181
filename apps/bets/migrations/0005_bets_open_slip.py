"""``bets_lines``: the shard replica's view of market lines (what placement, the live decision
and cash-out validate against); ``bets_open_slip``: a placement's first round trip, the player's
row locked, the lines' advisory locks taken and the lines read, in one call.

The lines must be read in a snapshot taken after the locks were granted: a settlement holds a
line's advisory lock exclusively until it commits, and a placement that waited for it must see
its result. One SQL statement has one snapshot, taken before its locks are awaited, so the
locks and the read were two statements (two round trips). In a PL/pgSQL function each statement
takes a new snapshot (READ COMMITTED), so the function locks first and reads after.

The functions' text as this migration created them: ``apps/bets/sql/versions/bets_lines.0005.sql``
(bets/0008 and bets/0009 replaced it) and ``apps/bets/sql/versions/bets_open_slip.0005.sql``
(bets/0009 replaced it).
"""

from django.db import migrations

from shards.sql import run_sql_file

DROP_LINES = "DROP FUNCTION IF EXISTS bets_lines(bigint[]);"
DROP_OPEN_SLIP = "DROP FUNCTION IF EXISTS bets_open_slip(integer, text, bigint, bigint[]);"


class Migration(migrations.Migration):
    # bets_lines is SQL, checked when created: the replica's tables must exist.
    dependencies = [("bets", "0004_bets_place_function"), ("catalog", "0004_feed_review_fixes")]
    operations = [
        run_sql_file(__file__, "sql/versions/bets_lines.0005.sql", reverse_sql=DROP_LINES),
        run_sql_file(
            __file__, "sql/versions/bets_open_slip.0005.sql", reverse_sql=DROP_OPEN_SLIP
        ),
    ]

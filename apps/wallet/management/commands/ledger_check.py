"""manage.py ledger_check: prove the books balance on every shard (or one); non-zero on a breach."""

from django.core.management.base import BaseCommand, CommandError

from apps.wallet.checks import books_check
from shards import map as shard_map


class Command(BaseCommand):
    help = "Verify every shard's ledger: balances, zero sums per currency, no negative player."

    def add_arguments(self, parser):
        parser.add_argument("--shard", type=int, help="check only this shard")

    def handle(self, *args, **opts):
        try:
            databases = (
                [shard_map.alias(opts["shard"])]
                if opts["shard"] is not None
                else shard_map.aliases()
            )
        except shard_map.UnknownShard as exc:
            raise CommandError(str(exc)) from exc
        breached = []
        for using in databases:
            books = books_check(using)
            held = ", ".join(f"{c} {t}" for c, t in books.totals.items()) or "nothing"
            state = "balanced" if books.balanced else "BREACHED"
            self.stdout.write(
                f"{using}: {state}; {books.accounts} accounts, {books.operations} operations, "
                f"{books.transfers} transfers; players hold {held}"
            )
            for name, rows in books.breaches.items():
                self.stdout.write(f"  breach: {name}: {rows}")
            if not books.balanced:
                breached.append(using)
        if breached:
            raise CommandError(f"the books do not balance on {', '.join(breached)}")
        self.stdout.write(f"all {len(databases)} shard ledgers balance")

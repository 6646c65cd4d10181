"""A separate process that posts to the wallet, for the concurrency and crash tests.

    python -m tests.wallet_worker race   <brand_id> <player_id> <amount> <key> <go-file>
    python -m tests.wallet_worker stream <brand_id> <player_id> <count> <key-prefix>

``race`` warms up, prints ``ready``, waits for <go-file> to exist, then makes one debit and prints
``applied`` or the error code. ``stream`` makes <count> alternating credits and debits with keys
<key-prefix>-<i>, printing each index as it commits.
"""

from __future__ import annotations

import os
import sys
import time


def main() -> int:
    import django

    django.setup()
    from django.db import connections

    from apps.wallet import api
    from apps.wallet.errors import WalletError

    mode, brand_id, player_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    api.wallet_balance(brand_id=brand_id, player_id=player_id, currency="EUR")
    connections.close_all()
    if mode == "race":
        amount, key, go = int(sys.argv[4]), sys.argv[5], sys.argv[6]
        print("ready", flush=True)
        while not os.path.exists(go):
            time.sleep(0.005)
        try:
            api.wallet_debit(
                brand_id=brand_id,
                player_id=player_id,
                currency="EUR",
                amount=amount,
                product="casino",
                idempotency_key=key,
            )
        except WalletError as exc:
            print(exc.code, flush=True)
        else:
            print("applied", flush=True)
        return 0
    count, prefix = int(sys.argv[4]), sys.argv[5]
    for index in range(count):
        operation = api.wallet_credit if index % 2 == 0 else api.wallet_debit
        operation(
            brand_id=brand_id,
            player_id=player_id,
            currency="EUR",
            amount=100 + index,
            product="casino",
            idempotency_key=f"{prefix}-{index}",
        )
        print(index, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

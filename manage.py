#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# The process role (betting.settings.limits) of the long-running and batch commands, unless
# PROCESS_ROLE says otherwise; any other command runs with the web role's limits.
COMMAND_ROLES = {
    "migrate": "migrate",
    "migrate_all": "migrate",
    "migrate_schemas": "migrate",
    "outbox_relay": "relay",
    "run_provider": "provider",
    "live_odds_gateway": "live-odds",
    "ledger_check": "worker",
    "wallet_reconcile": "worker",
    "directory_check": "worker",
}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betting.settings")
    if len(sys.argv) > 1 and sys.argv[1] in COMMAND_ROLES and not os.environ.get("PROCESS_ROLE"):
        os.environ["PROCESS_ROLE"] = COMMAND_ROLES[sys.argv[1]]
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

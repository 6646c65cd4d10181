"""manage.py run_provider <name>: run one provider's adapter until SIGINT/SIGTERM."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.providers.models import Provider
from apps.providers.outbound import provider_broker_url


class Command(BaseCommand):
    help = "Consume a content provider's feed and apply it to the catalog."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the provider's name in the provider manager")
        parser.add_argument("--batch", type=int, default=None, help="messages per transaction")
        parser.add_argument(
            "--alive-timeout", type=float, default=None, help="seconds without alive: down"
        )
        parser.add_argument(
            "--push-interval", type=float, default=None, help="seconds between pushes per event"
        )

    def handle(self, *args, **opts):
        provider = Provider.objects.filter(name=opts["name"]).first()
        if provider is None:
            raise CommandError(f"no provider named {opts['name']!r} (see the provider manager)")
        if not provider.enabled:
            raise CommandError(f"provider {provider.name!r} is disabled")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        if provider.kind == "uof":
            # Only the adapter of the provider's kind is loaded (and its dependencies).
            from apps.providers.uof.adapter import UofAdapter

            broker_url = provider_broker_url(provider) or settings.BROKER_URL
            tuning = {
                key: opts[opt]
                for key, opt in (
                    ("batch_max", "batch"),
                    ("alive_timeout", "alive_timeout"),
                    ("push_interval", "push_interval"),
                )
                if opts[opt] is not None
            }

            def ready(queue: str) -> None:
                self.stdout.write(
                    f"provider {provider.name}: consuming {provider.exchange} ({queue})"
                )
                self.stdout.flush()

            adapter = UofAdapter(
                provider, broker_url=broker_url, stop=stop, on_ready=ready, **tuning
            )
            adapter.run()
        elif provider.kind == "video":
            # Only the adapter of the provider's kind is loaded (and its dependencies).
            from apps.providers.video.adapter import run as run_video

            self.stdout.write(f"provider {provider.name}: polling {provider.api_url}")
            self.stdout.flush()
            run_video(provider, stop=stop)
        else:
            raise CommandError(f"provider kind {provider.kind!r} has no adapter")

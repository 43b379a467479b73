from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the site (default 127.0.0.1:8000) with static files and the background jobs, for local and demo use."

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="address and port to listen on (default 127.0.0.1:8000)",
        )

    def handle(self, *args, **options):
        # The background jobs (``wuyi work``) run beside the site in a thread, so a local
        # or demo site sees positive pools enter control and tallies refresh on their own.
        from wuyi.core import background

        stop = background.start_thread()
        try:
            call_command("runserver", options["addrport"], use_reloader=False)
        finally:
            stop.set()

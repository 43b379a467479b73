from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the site (default 127.0.0.1:8000) with static files, for local and demo use."

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default="127.0.0.1:8000",
            help="address and port to listen on (default 127.0.0.1:8000)",
        )

    def handle(self, *args, **options):
        call_command("runserver", options["addrport"], use_reloader=False)

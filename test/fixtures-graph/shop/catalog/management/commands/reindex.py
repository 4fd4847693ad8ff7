from django.core.management.base import BaseCommand

import catalog.search  # noqa: F401


class Command(BaseCommand):
    def handle(self, *args, **options):
        pass

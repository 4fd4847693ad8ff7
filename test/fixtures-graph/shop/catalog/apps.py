from importlib import import_module

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"

    def ready(self):
        from . import signals  # noqa: F401  connects receivers

        import_module("catalog.receivers")

        def later():
            import catalog.reports  # noqa: F401  (never called at setup)

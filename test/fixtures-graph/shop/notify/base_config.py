from importlib import import_module

from django.apps import AppConfig


class BaseNotifyConfig(AppConfig):
    default = False

    def ready(self):
        from notify import channels  # noqa: F401

        import_module("notify.backends")

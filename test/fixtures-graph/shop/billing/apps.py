from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    default = True

    def ready(self):
        from billing import hooks  # noqa: F401


class BillingTestConfig(AppConfig):
    name = "billing"

    def ready(self):
        from billing import test_hooks  # noqa: F401  (not the config Django picks)

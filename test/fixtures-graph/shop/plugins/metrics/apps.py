from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "plugins.metrics"
    label = "metrics"

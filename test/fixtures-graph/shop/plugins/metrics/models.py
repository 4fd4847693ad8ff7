from plugins.metrics.registry import REGISTRY  # noqa: F401

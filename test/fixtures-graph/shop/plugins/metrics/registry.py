from plugins.metrics.collectors import *  # noqa: F401,F403  (imports the submodules in __all__)

REGISTRY = {}

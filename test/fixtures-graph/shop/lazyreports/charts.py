import fakeheavy.stats  # noqa: F401

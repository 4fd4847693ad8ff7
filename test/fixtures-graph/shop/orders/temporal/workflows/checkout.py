import fakeheavy  # noqa: F401

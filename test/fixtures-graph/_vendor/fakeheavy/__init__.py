"""Stands in for a heavy third-party package (scipy, stripe...)."""
LOADED = True

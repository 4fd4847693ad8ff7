# Eager package __init__: importing the settings module runs this first.
from .celery_app import app as celery_app  # noqa: F401

__all__ = ["celery_app"]

from .base import *  # noqa: F401,F403

EXTRA_APPS = ["billing", "plugins.metrics"]
INSTALLED_APPS = [*INSTALLED_APPS, *EXTRA_APPS, "django.contrib.admin"]  # noqa: F405
INSTALLED_APPS += ["lazyreports"]
INSTALLED_APPS.append("notify")

SECRET_KEY = "fixture-not-secret"
DEBUG = False

DJANGO_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
]
LOCAL_APPS = (
    "catalog",
    "orders.apps.OrdersConfig",
)
INSTALLED_APPS = DJANGO_APPS + list(LOCAL_APPS)

ROOT_URLCONF = "shop_site.urls"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "shop_site.logging_handlers.StartupHandler"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

SECRET_KEY = "fixture-not-secret"


def get_apps():
    return [
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.admin.apps.SimpleAdminConfig",
        "posts",
        "comments",
    ]


# Computed: a static reader cannot know the value.
INSTALLED_APPS = get_apps()

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

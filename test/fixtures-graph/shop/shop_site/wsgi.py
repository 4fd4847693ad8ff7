import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop_site.settings.dev")

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "blog_site.settings"

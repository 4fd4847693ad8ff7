from django.apps import AppConfig


class DraftsConfig(AppConfig):
    # An app the settings do not install (get_apps() leaves it out).
    name = "drafts"

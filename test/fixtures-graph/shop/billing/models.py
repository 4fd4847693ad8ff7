from django.db import models

import fakeheavy  # noqa: F401  heavy third-party at module scope of a models module


def charge():
    import fakeheavy.stats  # noqa: F401  (deferred)


class Invoice(models.Model):
    total = models.IntegerField()

    class Meta:
        app_label = "billing"

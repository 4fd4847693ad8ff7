from django.db import models

from catalog import constants  # an attribute of catalog: catalog/constants.py is not imported

_units = __import__("catalog.units")


class Category(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        app_label = "catalog"

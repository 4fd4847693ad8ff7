from typing import TYPE_CHECKING

from django.db import models

from catalog.pricing import price_of

if TYPE_CHECKING:
    from catalog.typing_only import PriceTable  # noqa: F401
else:
    from catalog import runtime_types  # noqa: F401  (the else of TYPE_CHECKING runs)


class Product(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        app_label = "catalog"

    def price(self):
        return price_of(self)

from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import Product


@receiver(post_save, sender=Product)
def on_product_saved(sender, **kwargs):
    from catalog import search  # noqa: F401  (deferred)

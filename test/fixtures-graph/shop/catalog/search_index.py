from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender="catalog.Product")
def reindex_product(sender, instance, **kwargs):
    pass

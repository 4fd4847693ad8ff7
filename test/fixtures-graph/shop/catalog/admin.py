from django.contrib import admin

from catalog.models import Product
from catalog import admin_actions  # noqa: F401

admin.site.register(Product)

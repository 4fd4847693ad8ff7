import sys

from django.db import models

# A leaf module under an eager package: importing it runs orders/temporal/__init__.py,
# which imports every workflow.
from orders.temporal.exceptions import OrderError  # noqa: F401

if sys.version_info >= (3, 0):
    from orders import compat  # noqa: F401  (conditional, runs)


class OrderStates:
    # A class body runs when the class is defined, so this import runs at import time.
    from orders.choices import STATUSES


class Order(models.Model):
    status = models.CharField(max_length=20)

    class Meta:
        app_label = "orders"

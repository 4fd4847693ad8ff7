# ROOT_URLCONF: loaded on the first request, not by django.setup().
from django.urls import include, path

from catalog import views

EXTRA_APPS = []

urlpatterns = [
    path("catalog/", include("catalog.urls")),
    path("orders/", include(("orders.urls", "orders"), namespace="orders")),
    path("views/", include(views)),
]

# Computed includes: never run here (the list is empty), and not read statically.
for name in EXTRA_APPS:
    urlpatterns.append(path(f"{name}/", include(f"{name}.urls")))

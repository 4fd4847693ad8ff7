# ROOT_URLCONF: loaded on the first request, not by django.setup().
from catalog import views

urlpatterns = [views]

# Included by the URLconf: its imports run on the first request only.
from catalog import search_index  # noqa: F401  connects the search-index receivers

urlpatterns = []

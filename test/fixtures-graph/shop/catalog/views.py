import fakeheavy.stats  # noqa: F401  (views load with the URLconf, not at setup)

urlpatterns = []

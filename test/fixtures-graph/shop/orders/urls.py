from orders import choices  # noqa: F401  (already imported at setup)

app_name = "orders"
urlpatterns = []

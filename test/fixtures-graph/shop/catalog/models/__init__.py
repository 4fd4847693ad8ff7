from .category import Category
from .product import Product

__all__ = ["Category", "Product"]

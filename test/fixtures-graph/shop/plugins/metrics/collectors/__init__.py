__all__ = ["cpu", "memory"]

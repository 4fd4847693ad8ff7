try:
    import fakeheavy.fast as fast  # noqa: F401
except ImportError:
    from . import slowpricing as fast  # noqa: F401  (only when fakeheavy.fast is missing)


def price_of(product):
    return 0

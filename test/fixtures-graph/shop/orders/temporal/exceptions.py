class OrderError(Exception):
    pass

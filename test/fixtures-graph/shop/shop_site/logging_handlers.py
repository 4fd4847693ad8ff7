import logging


class StartupHandler(logging.StreamHandler):
    pass

"""A lazy package (PEP 562): submodules load on first attribute access."""
import importlib

_LAZY = {"pdf": ".pdf", "charts": ".charts"}


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(_LAZY[name], __name__)
    raise AttributeError(name)

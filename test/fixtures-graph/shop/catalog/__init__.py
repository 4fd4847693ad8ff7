# `constants` is an attribute here, so `from catalog import constants` does NOT import
# catalog/constants.py (CPython checks the attribute before looking for a submodule).
constants = {"currency": "EUR"}

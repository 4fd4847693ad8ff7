"""Run django.setup() and print, as JSON, the modules it imported.

Usage: python3 -B -I setup_modules.py PROJECT_ROOT SETTINGS_MODULE PATH_ENTRY...

PATH_ENTRY values go first on sys.path (the project's source root, then stand-ins for
third-party packages). Prints {"first_party": [[name, file-or-null], ...], "all": [...]}:
first-party modules are those whose file (or, for namespace packages, every __path__
entry) is under PROJECT_ROOT.
"""
import json
import os
import sys

root = os.path.realpath(sys.argv[1])
os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[2]
sys.path[:0] = sys.argv[3:]
before = set(sys.modules)

import django  # noqa: E402

django.setup()


def under(p):
    p = os.path.realpath(p)
    return p == root or p.startswith(root + os.sep)


first_party = []
for name, module in sorted(sys.modules.items()):
    f = getattr(module, "__file__", None)
    if f:
        if under(f):
            first_party.append([name, os.path.relpath(os.path.realpath(f), root).replace(os.sep, "/")])
        continue
    paths = list(getattr(module, "__path__", None) or [])
    if paths and all(under(p) for p in paths):
        first_party.append([name, None])
print(json.dumps({"first_party": first_party, "all": sorted(set(sys.modules) - before)}))

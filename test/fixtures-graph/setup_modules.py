"""Run django.setup() and print, as JSON, the modules it imported and who imported them.

Usage: python3 -B -I setup_modules.py SETTINGS_MODULE [--first-party DIR=PREFIX]... [--path ENTRY]... [--first-request]

--path ENTRY values go first on sys.path, in order (the project's source roots, then
stand-ins for third-party packages). --first-party DIR=PREFIX says that files under DIR
are the project's, named PREFIX + their path below DIR (PREFIX is empty or ends in "/"):
this maps installed packages (Debian's /usr/lib/python3/dist-packages/horizon) to the
paths of a checkout (horizon/). DIR is compared as given and as its real path, so a file
reached through a symlink inside DIR is still the project's.

A sys.meta_path finder, consulted only for modules not yet in sys.modules, records for
every import the innermost frame on the stack that runs a first-party file: the
file:line that first imported the module (null when only Django or this script is on the
stack, e.g. the settings module and the installed apps), and the first-party frames
around it (the calls that led there). An import that fails and is
retried later is recorded at the retry.

With --first-request, after setup it imports settings.ROOT_URLCONF as Django's URL resolver
does on the first request, and adds "first_request": the first-party modules that import
brought in (not imported by setup), as [name, file-or-null] pairs.

Prints {"first_party": [[name, file-or-null], ...], "importers": {name: ["file:line", ...]}
(the first-party frames of that stack, innermost first),
"all": [...], "seconds": setup wall time}: first-party modules are those whose file (or,
for namespace packages, every __path__ entry) is the project's.
"""
import importlib.machinery
import json
import os
import sys
import time

args = sys.argv[1:]
os.environ["DJANGO_SETTINGS_MODULE"] = args.pop(0)
roots = []
entries = []
first_request = "--first-request" in args
if first_request:
    args.remove("--first-request")
while args:
    flag, value = args.pop(0), args.pop(0)
    if flag == "--first-party":
        d, _, prefix = value.partition("=")
        for form in {os.path.abspath(d), os.path.realpath(d)}:
            roots.append((form.rstrip(os.sep) + os.sep, prefix))
    elif flag == "--path":
        entries.append(value)
    else:
        sys.exit("unknown option " + flag)
sys.path[:0] = entries


def project_path(p):
    """The checkout path of a file, or None when it is not the project's."""
    for form in (os.path.abspath(p), os.path.realpath(p)):
        for root, prefix in roots:
            if form.startswith(root):
                return prefix + form[len(root):].replace(os.sep, "/")
    return None


importers = {}


class RecordImporter:
    @staticmethod
    def find_spec(name, path=None, target=None):
        stack = []
        frame = sys._getframe(1)
        while frame is not None:
            where = project_path(frame.f_code.co_filename)
            if where is not None:
                stack.append("%s:%d" % (where, frame.f_lineno))
            frame = frame.f_back
        if stack:
            importers[name] = stack
        else:
            importers.pop(name, None)
        return None  # only watching: the real finders load the module


sys.meta_path.insert(0, RecordImporter)
before = set(sys.modules)

import django  # noqa: E402

start = time.perf_counter()
django.setup()
seconds = time.perf_counter() - start
sys.meta_path.remove(RecordImporter)
after_setup = set(sys.modules)
if first_request:
    from django.conf import settings  # noqa: E402
    from django.urls import get_resolver  # noqa: E402

    get_resolver(settings.ROOT_URLCONF).urlconf_module  # what the first request imports



def location(name, module):
    """(file or None, package __path__ entries) of a module, as its import found them.

    A module may overwrite its own dunders: graphite's settings run
    globals().update(import_module("local_settings").__dict__), which replaces its
    __file__ and __spec__ with local_settings'. Then the module is found again.
    """
    spec = getattr(module, "__spec__", None)
    if spec is None or spec.name != name:
        parent = name.rpartition(".")[0]
        search = getattr(sys.modules.get(parent), "__path__", None) if parent else None
        spec = importlib.machinery.PathFinder.find_spec(name, search)
    if spec is None:
        return None, []
    return (spec.origin if spec.has_location else None), list(spec.submodule_search_locations or [])


first_party = []
request_only = []
for name, module in sorted(sys.modules.items()):
    if name not in after_setup:
        f, paths = location(name, module)
        where = project_path(f) if f else None
        if where is not None or (not f and paths and all(project_path(p) is not None for p in paths)):
            request_only.append([name, where])
        continue
    f, paths = location(name, module)
    if f:
        where = project_path(f)
        if where is not None:
            first_party.append([name, where])
        continue
    if paths and all(project_path(p) is not None for p in paths):
        first_party.append([name, None])
print(json.dumps({
    "first_party": first_party,
    "importers": {name: importers[name] for name, _ in first_party if name in importers},
    "all": sorted(after_setup - before),
    "seconds": round(seconds, 3),
    **({"first_request": request_only} if first_request else {}),
}))

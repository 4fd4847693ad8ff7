"use strict";
// The scan cache of every review a test runs (unless the test sets its own): one directory under
// the system's temporary directory, not the user's ~/.cache.
const os = require("os");
const path = require("path");

if (!process.env.DJANGO_STARTUP_GUARD_CACHE_DIR) process.env.DJANGO_STARTUP_GUARD_CACHE_DIR = path.join(os.tmpdir(), "django-startup-guard-tests", "cache");

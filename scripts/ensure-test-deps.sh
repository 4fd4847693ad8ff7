#!/bin/sh
# Makes sure /usr/bin/python3 has what the test suite compares against (npm runs this as
# `pretest`, so `npm test` on a fresh Debian machine needs no other step):
#   python3-django                 a real django.setup() for test/django-setup.test.ts
#   python3-django-split-settings the real include() of test/settings-read.test.ts
#   openstack-dashboard, graphite-web, lava-server
#                                  the real-world corpus of test/realworld-corpus.test.ts
# When a package is missing: as root, installs them (apt-get, no recommends: about 230
# packages, 41 MB to download on a Debian 12 base; setup() of all three boots with them
# alone); otherwise prints the command to run and exits 1.
set -eu

PACKAGES="python3-django python3-django-split-settings openstack-dashboard graphite-web lava-server"
CHECK="import django, split_settings, openstack_dashboard, graphite, lava_server"
INSTALL="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES"

have() { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "$CHECK" >/dev/null 2>&1; }

have && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-deps: /usr/bin/python3 cannot \`$CHECK\`, and this is not a Debian/Ubuntu machine (no apt-get)." >&2
  echo "The tests need Debian's packages: $PACKAGES." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-test-deps: /usr/bin/python3 cannot \`$CHECK\`. The tests need Debian's $PACKAGES; run:" >&2
  echo "  sudo sh -c '$INSTALL'" >&2
  exit 1
fi

echo "ensure-test-deps: installing $PACKAGES (apt-get, no recommends) ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
if ! have; then
  echo "ensure-test-deps: installed $PACKAGES, but /usr/bin/python3 still cannot \`$CHECK\`:" >&2
  /usr/bin/python3 -c "$CHECK" >&2 || true
  exit 1
fi
echo "ensure-test-deps: done."

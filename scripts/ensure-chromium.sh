#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is installed; safe to run again when it is.
#
# The dashboard tests (`pytest -m browser`) load the generated HTML in a real browser, take a
# screenshot and check that the page's script ran. They fail, rather than skip, when Chromium is
# missing, so `make test` runs this first. Fonts come explicitly: without them the screenshot
# shows boxes instead of text and proves nothing about the layout.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

die() {
    echo "ensure-chromium: $*" >&2
    exit 1
}

if [[ -x "$CHROMIUM" ]]; then
    exit 0
fi
[[ "$(id -u)" -eq 0 ]] || die "$CHROMIUM missing and not root: install it with apt-get install chromium"
command -v apt-get >/dev/null || die "$CHROMIUM missing and no apt-get to install it with"

echo "ensure-chromium: installing chromium from Debian"
export DEBIAN_FRONTEND=noninteractive
timeout 600 apt-get update -qq || die "apt-get update failed"
timeout 1200 apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-dejavu-core >/dev/null \
    || die "apt-get install chromium failed"
[[ -x "$CHROMIUM" ]] || die "chromium installed but $CHROMIUM is still missing"
"$CHROMIUM" --version

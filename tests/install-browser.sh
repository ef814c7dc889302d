#!/bin/sh
# The query page's browser test drives the system's Chromium with Playwright. Playwright's own browser download
# needs the internet, so the browser comes from the package manager: installed here when missing, never twice.
# Called by the README's test command and so by .ci/run; everything else the tests need comes from pip.
set -eu

for name in chromium chromium-browser; do
    if command -v "$name" > /dev/null 2>&1; then
        exit 0
    fi
done

if ! command -v apt-get > /dev/null 2>&1; then
    echo "install-browser: Chromium is missing and this is not Debian/Ubuntu: install Chromium with your package" \
        "manager (macOS: brew install --cask chromium) so that 'chromium' is on PATH, then run the tests" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-browser: Chromium is missing: run 'sudo apt-get update && sudo apt-get install -y chromium'" \
        "(this script installs it only when run as root, as CI is), then run the tests" >&2
    exit 1
fi

echo "install-browser: installing Chromium from the package manager (apt-get install chromium)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium > /dev/null

for name in chromium chromium-browser; do
    if command -v "$name" > /dev/null 2>&1; then
        exit 0
    fi
done
echo "install-browser: apt-get installed 'chromium' but no chromium command is on PATH (on Ubuntu the package" \
    "is a snap wrapper that does not run in containers): install a Chromium build that does" >&2
exit 1

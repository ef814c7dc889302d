#!/bin/sh
# The programs some tests drive that pip cannot install, from the system's package manager, each only when missing:
#   chromium-headless-shell  the query pages' browser tests (Playwright drives the system browser: its own download
#                            needs the internet); Chromium's headless shell, half the CPU of the full browser in
#                            those tests; the full `chromium` where the shell is not packaged; either will do
#   virtuoso-opensource      a real Virtuoso store for the push and remote-query tests
#   libapache-jena-java      Jena's rsparql, a SPARQL client the protocol tests drive
#   default-jre-headless     Java, for Jena and for the OWL reasoners (HermiT, Pellet) that check the OWL release
# Called by the README's test command and so by .ci/run; everything else the tests need comes from pip.
set -eu

missing=""
has_browser() {
    command -v chromium-headless-shell > /dev/null 2>&1 || command -v chromium > /dev/null 2>&1 \
        || command -v chromium-browser > /dev/null 2>&1
}
has_browser || missing="$missing chromium-headless-shell"
command -v virtuoso-t > /dev/null 2>&1 || missing="$missing virtuoso-opensource"
[ -f /usr/share/java/jena-cmds.jar ] || missing="$missing libapache-jena-java"
command -v java > /dev/null 2>&1 || missing="$missing default-jre-headless"
[ -z "$missing" ] && exit 0

if ! command -v apt-get > /dev/null 2>&1; then
    echo "install-system-packages: missing:$missing; this is not Debian/Ubuntu: install the same programs with" \
        "your package manager (chromium, virtuoso, Apache Jena, a Java runtime), then run the tests" >&2
    exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "install-system-packages: missing:$missing; run 'sudo apt-get update && sudo apt-get install -y$missing'" \
        "(this script installs them only when run as root, as CI is), then run the tests" >&2
    exit 1
fi

echo "install-system-packages: installing$missing (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! apt-cache show chromium-headless-shell > /dev/null 2>&1; then
    missing=$(echo "$missing" | sed 's/chromium-headless-shell/chromium/')
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing > /dev/null

if ! has_browser; then
    echo "install-system-packages: apt-get installed Chromium but no chromium command is on PATH (on Ubuntu the" \
        "package is a snap wrapper that does not run in containers): install a Chromium build that does" >&2
    exit 1
fi

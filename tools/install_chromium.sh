#!/usr/bin/env bash
# Install what tests/test_browser.py and `make pdf` need, if missing and possible:
# Debian's Chromium and ChromeDriver, and axe-core (the accessibility checker, from npm) into
# .venv/share/axe-core/, so that the test runs offline afterwards.
# Never fails: without Chromium the browser test skips and says why; without axe-core the test
# still checks link contrast with its own computation.
AXE_VERSION=4.11.1
AXE_DIR="$(dirname "$0")/../.venv/share/axe-core"
if ! { command -v chromium >/dev/null && command -v chromedriver >/dev/null; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing chromium and chromium-driver (Debian packages) for the browser test..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
      || echo "Could not install chromium; the browser test will be skipped."
  else
    echo "Not root or no apt-get: install chromium and chromium-driver yourself to run the browser test."
  fi
fi
if [ ! -f "$AXE_DIR/axe.min.js" ] && command -v npm >/dev/null; then
  tmp="$(mktemp -d)"
  if (cd "$tmp" && npm pack --silent "axe-core@$AXE_VERSION" >/dev/null 2>&1 && tar xzf "axe-core-$AXE_VERSION.tgz"); then
    mkdir -p "$AXE_DIR" && cp "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$AXE_DIR/"
  else
    echo "Could not fetch axe-core from npm; the browser test checks contrast without it."
  fi
  rm -rf "$tmp"
fi
exit 0

#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver for tests/test_browser.py, if missing and possible.
# Never fails: without them the browser test skips and says why.
command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing chromium and chromium-driver (Debian packages) for the browser test..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1 \
    || echo "Could not install chromium; the browser test will be skipped."
else
  echo "Not root or no apt-get: install chromium and chromium-driver yourself to run the browser test."
fi
exit 0

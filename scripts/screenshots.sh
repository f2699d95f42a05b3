#!/usr/bin/env bash
# Screenshots of `eom ui` for the README, taken from the real pages by the browser test
# (tests/tests/ui.rs) in headless chromium. Needs Debian's chromium and chromium-driver.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/screenshots
EOM_SCREENSHOTS="$PWD/docs/screenshots" cargo test -p eom-tests --test ui \
  an_observer_fills_a_checklist_in_the_browser_survives_a_crash_and_syncs -- --exact --nocapture >/dev/null
ls docs/screenshots

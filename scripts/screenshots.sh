#!/usr/bin/env bash
# Screenshots for the README, taken from the real pages by the browser tests in headless
# chromium: `eom ui` (tests/tests/ui.rs) and the coordinators' dashboard on the demo day
# (tests/tests/dashboard.rs: the overview, the map, a checklist its team corrected with what
# the revision changed). Needs Debian's chromium and chromium-driver.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/screenshots
export EOM_SCREENSHOTS="$PWD/docs/screenshots"
cargo test -p eom-tests --test ui \
  an_observer_fills_a_checklist_in_the_browser_survives_a_crash_and_syncs -- --exact --nocapture >/dev/null
cargo test -p eom-tests --test dashboard \
  a_coordinator_signs_in_reads_the_overview_and_flags_a_checklist -- --exact --nocapture >/dev/null
ls docs/screenshots

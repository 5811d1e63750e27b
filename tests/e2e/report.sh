#!/usr/bin/env bash
# End to end for reports/: run the reports/ unit tests, run the
# suite into a temp dir, build the HTML report, open it in headless Chromium and
# check the screenshot shows the Fig. 6 matrix and a timeline.
# Needs Debian's python3, python3-matplotlib, python3-pytest and chromium; CI
# installs them, so a missing one is a failure, not a skip.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir report

[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium missing (apt-get install chromium)"
"$py" -c 'import matplotlib, pytest' || fail "$py lacks python3-matplotlib or python3-pytest"

PYTHONDONTWRITEBYTECODE=1 "$py" -m pytest -q -p no:cacheprovider "$src/reports/tests" ||
	fail "reports/ unit tests"

# A slice of the suite keeps the page small: every Fig. 6 row, the smoke test and the
# 1,000 power cuts (whose timeline must be marked as sampled).
mkdir -p "$work/scn/ipsec"
cp -r "$src/scenarios/fig6" "$work/scn/"
cp "$src/scenarios/smoke.yaml" "$work/scn/"
cp "$src/scenarios/ipsec/power-cuts.yaml" "$work/scn/ipsec/"
"$bin" suite "$work/scn" --out "$work/out" >"$work/suite.log" || { cat "$work/suite.log"; fail "suite"; }
"$bin" fig6 --json >"$work/fig6.json" || fail "rmcpsec fig6 --json"
PYTHONDONTWRITEBYTECODE=1 "$py" "$src/reports/report.py" "$work/out" --fig6 "$work/fig6.json" ||
	fail "report.py"
page=$work/out/report.html
[ -s "$page" ] || fail "no report.html"
grep -q 'id="fig6"' "$page" || fail "no Fig. 6 matrix in the page"
grep -q 'data:image/png;base64,' "$page" || fail "no embedded timeline"
grep -q 'Sampled view' "$page" || fail "the power-cuts timeline is not marked as sampled"
# Self-contained: every src is a data: URI; every href an anchor or a relative path.
if grep -Eo '(src|href)="[^"]*"' "$page" | grep -Ev '^src="data:|^href="#|^href="[^/:"]+/' >"$work/ext"; then
	cat "$work/ext"
	fail "external or absolute references in the page"
fi

# Copy once so that a rerun of the report cannot change the page under Chromium.
shot=$work/shot.png
profile=$work/chromium-profile
mkdir -p "$profile"
timeout 180 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --screenshot="$shot" --window-size=1400,3000 \
	"file://$page" >"$work/chromium.log" 2>&1 || { tail -20 "$work/chromium.log"; fail "chromium"; }
[ -s "$shot" ] || { tail -20 "$work/chromium.log"; fail "no screenshot"; }
size=$(stat -c %s "$shot")
[ "$size" -gt 50000 ] || fail "screenshot only $size bytes"

# PASS cells (#c8efc2: the Fig. 6 matrix, whose rows 2-9 all have scenarios now, and the
# requirement table) and a timeline's os_up band (#b7e4b0) and pre_boot band (#a8d0f0)
# must be on screen.
"$py" - "$shot" <<'PYEOF' || fail "screenshot check"
import sys
import matplotlib.image as mpimg
import numpy as np
img = mpimg.imread(sys.argv[1])
if img.dtype != np.uint8:
    img = (img * 255).round().astype(np.int32)
rgb = img[:, :, :3].astype(np.int32)
colours = len(np.unique(rgb.reshape(-1, 3), axis=0))
print("screenshot %dx%d, %d distinct colours" % (rgb.shape[1], rgb.shape[0], colours))
if colours < 50:
    sys.exit("screenshot is (nearly) a single colour")
def count(hexrgb):
    want = np.array([int(hexrgb[i:i + 2], 16) for i in (0, 2, 4)])
    return int((np.abs(rgb - want).max(axis=2) <= 3).sum())
checks = {"Fig. 6 PASS cells": count("c8efc2"), "timeline os_up band": count("b7e4b0"),
          "timeline pre_boot band": count("a8d0f0")}
for what, n in checks.items():
    print("%s: %d pixels" % (what, n))
    if n < 500:
        sys.exit("%s not visible in the screenshot" % what)
PYEOF
echo "report e2e: ok (screenshot $size bytes)"

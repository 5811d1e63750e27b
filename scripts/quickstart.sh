#!/usr/bin/env bash
# The two quick-start commands (README):
#   scripts/quickstart.sh run   install what is missing, build, run the conformance
#                               suite on the reference nodes in virtual time -> out/,
#                               and write the HTML report out/report.html
#   scripts/quickstart.sh test  install what is missing, build, run every test
# Both are unattended; run them as root or as a user with sudo.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=${1:-}
case "$what" in
run)
	"$top/scripts/setup.sh"
	# The report is written even when a scenario fails; the exit status is the suite's.
	rc=0
	"$top/build/cli/rmcpsec" suite scenarios/ --out out || rc=$?
	"$top/build/cli/rmcpsec" fig6 --json >out/fig6.json
	/usr/bin/python3 reports/report.py out
	exit $rc
	;;
test)
	"$top/scripts/setup.sh"
	cd "$top/build"
	exec ctest --output-on-failure -j"$(nproc)"
	;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac

#!/usr/bin/env bash
# A run that hits a limit is never PASS: a server step that must send more frames than
# one step's output holds (tests/data/limits/output-overflow.yaml: 40 clients discovered
# at once) stops the run with an error that names the limit, exit 2, no PASS printed.
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir limits

rc=0
"$bin" run "$src/tests/data/limits/output-overflow.yaml" --out "$work/ovf" >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" = 2 ] || { cat "$work/out" "$work/err"; fail "output overflow: exit $rc, want 2"; }
grep -q "node output overflow" "$work/err" || { cat "$work/err"; fail "the error does not say what overflowed"; }
grep -q "32 frames" "$work/err" || { cat "$work/err"; fail "the error does not name the limit"; }
! grep -q "^PASS" "$work/out" || fail "a run that lost frames printed PASS"
echo "limits: an output overflow stops the run, naming the limit"

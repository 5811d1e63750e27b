#!/usr/bin/env bash
# Mutation testing of the conformance suite: the reference nodes
# pass every scenario under scenarios/; each mutant (nodes/mutant.h, one
# requirement broken on purpose) must fail at least one. Prints the score;
# any surviving mutant fails this test and is named.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir mutants

"$bin" suite "$src/scenarios" --out "$work/ref" >"$work/ref.log" 2>&1 ||
	{ tail -30 "$work/ref.log"; fail "the reference nodes do not pass the suite"; }

mutants="commit-before-ack seq-restart clear-reset no-fallback failover-seq-reuse
no-replay-check nvram-not-atomic refresh-while-hung"
# The adversarial suite's mutants (docs/testing/mutants.md, second table) that the
# scenarios catch already; the others join as their scenarios come.
mutants="$mutants clear-ack-refused clear-open-when-bare clear-refused-with-sa sa-lost-on-hang
sa-lost-on-preboot sa-lost-on-suspend exec-via-host gcm-iv-restart commit-on-ack-timeout
ike-while-not-up refresh-default-interval takeover-while-primary-alive cold-server-stays-clear"
total=0
caught=0
survivors=""
for m in $mutants; do
	total=$((total + 1))
	rc=0
	"$bin" suite "$src/scenarios" --out "$work/$m" --mutant "$m" >"$work/$m.log" 2>&1 || rc=$?
	case $rc in
	1)
		caught=$((caught + 1))
		echo "caught   $m by: $(grep -E ' FAIL +[0-9]' "$work/$m.log" | awk '{print $1}' | tr '\n' ' ')"
		;;
	0) survivors="$survivors $m" ; echo "SURVIVED $m" ;;
	*) tail -5 "$work/$m.log"; fail "$m: the suite could not run (exit $rc)" ;;
	esac
done
echo "mutants caught: $caught/$total"
[ -z "$survivors" ] || fail "mutants the suite does not catch:$survivors"

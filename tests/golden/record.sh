#!/usr/bin/env bash
# The recorded outputs of every scenario at its seed, so that a change that
# should alter no output can prove it did not (and one that does names what).
#
#   tests/golden/record.sh check  [RMCPSEC]  run the sets below, compare with sha256sums
#   tests/golden/record.sh update [RMCPSEC]  run them and rewrite sha256sums
#   tests/golden/record.sh keep DIR [RMCPSEC]  run them into DIR and keep every file
#
# Sets: the suite (scenarios/) in its own profiles and again with --profile
# strict (and, with GOLDEN_MUTANTS=1, under every mutant: `rmcpsec mutants`);
# plus the scenarios of tests/data that run but fail on purpose. Each run's
# trace.pcap, results.json and key files are hashed, and the suite's
# summary.json and junit.xml with the output directory replaced by OUT.
# Run from anywhere; paths in the outputs are relative to the source tree.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:-check}
keep=
if [ "$mode" = keep ]; then
	keep=${2:?keep needs a directory}
	shift
fi
bin=${2:-$src/build/cli/rmcpsec}
sums=$src/tests/golden/sha256sums
case "$mode" in check | update | keep) ;; *)
	echo "usage: $0 check|update|keep DIR [RMCPSEC]" >&2
	exit 2
	;;
esac
work=${keep:-$(mktemp -d /tmp/rmcpsec-golden.XXXXXX)}
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cd "$src"

# rmcpsec suite exits 1 when a verdict fails: a mutant run is meant to.
suite() {
	local out=$1
	shift
	local rc=0
	"$bin" suite scenarios/ --out "$work/$out" "$@" >"$work/$out.log" 2>&1 || rc=$?
	[ $rc -le 1 ] || { cat "$work/$out.log" >&2; echo "golden: suite $* exited $rc" >&2; exit 1; }
}
suite default
suite strict --profile strict
# Every mutant too, on request: each is a full suite, too slow for every CI run
# (tests/e2e/mutants.sh runs them for what they are for: being caught).
if [ "${GOLDEN_MUTANTS:-0}" = 1 ]; then
	for m in $("$bin" mutants 2>/dev/null | awk '{print $1}'); do
		suite "mutant-$m" --mutant "$m"
	done
fi
for f in tests/data/failing/*.yaml tests/data/clear/*.yaml; do
	name=$(basename "$(dirname "$f")")-$(basename "$f" .yaml)
	rc=0
	"$bin" run "$f" --out "$work/data/$name" >"$work/data-$name.log" 2>&1 || rc=$?
	[ $rc -le 1 ] || { cat "$work/data-$name.log" >&2; echo "golden: $f exited $rc" >&2; exit 1; }
done

# One line per output file: sha256, then its path under the work directory.
(
	cd "$work"
	find . -type f \( -name trace.pcap -o -name results.json -o -name esp_sa -o -name ah_sa \
		-o -name ikev2_decryption_table \) -print0 | sort -z | xargs -0 sha256sum
	for f in $(find . -maxdepth 2 \( -name summary.json -o -name junit.xml \) | sort); do
		printf '%s  %s\n' "$(sed "s#$work/#OUT/#g" "$f" | sha256sum | cut -d' ' -f1)" "$f"
	done
) >"$work/sha256sums"

case "$mode" in
update)
	cp "$work/sha256sums" "$sums"
	echo "golden: recorded $(wc -l <"$sums") files into tests/golden/sha256sums"
	;;
keep)
	echo "golden: outputs in $work, hashes in $work/sha256sums"
	;;
check)
	if ! diff -u "$sums" "$work/sha256sums" >"$work/diff"; then
		changed=$(grep -c '^+[0-9a-f]' "$work/diff" || true)
		echo "golden: $changed output file(s) differ from tests/golden/sha256sums:" >&2
		grep '^[-+][0-9a-f]' "$work/diff" | head -40 >&2
		echo "golden: to see them: tests/golden/record.sh keep DIR (here and at the recorded" \
			"commit) and diff; a deliberate change re-records with tests/golden/record.sh update" >&2
		exit 1
	fi
	echo "golden: $(wc -l <"$sums") output files identical to the recording"
	;;
esac

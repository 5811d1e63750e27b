# shellcheck shell=bash disable=SC2034 # the variables set here are for the tests
# What every end-to-end test in tests/e2e/ shares. ctest runs each test as
#   bash SCRIPT RMCPSEC SRC_DIR
# and the script begins with
#   . "$(dirname "$0")/lib.sh"
#   e2e_args "$@"
# Exit status of a test: 0 pass, 1 fail, 77 skipped (ctest's SKIP_RETURN_CODE).
# This file is sourced, never run: tests/CMakeLists.txt leaves it out of the tests.

# Debian's interpreter, with python3-scapy, -matplotlib and -yaml, whatever PATH says.
py=/usr/bin/python3

# e2e_args RMCPSEC SRC_DIR: sets bin (the rmcpsec binary) and src (the source tree), both
# absolute, so a test may cd anywhere. bin may be absent for tests that do not run it.
e2e_args() {
	bin=${1:-}
	if [ -n "$bin" ]; then
		bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
	fi
	src=$(cd "${2:-.}" && pwd)
}

# fail MESSAGE: the test fails here.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# For tests that check everything and fail at the end (the UML tests, whose guest runs
# once): note_fail records a failure and goes on, ok reports a check that held, and
# `exit "$failed"` ends the test.
failed=0
note_fail() {
	echo "FAIL: $*"
	failed=1
}
ok() { echo "ok: $*"; }

# need_root WHY: skip (77) unless running as root.
need_root() {
	[ "$(id -u)" = 0 ] || {
		echo "SKIP: $*"
		exit 77
	}
}

# work_dir NAME [CLEANUP]: a fresh directory in $work, removed when the test exits,
# after the test's own CLEANUP function (processes, namespaces) has run. INT and TERM
# end the test through the same path.
work_dir() {
	work=$(mktemp -d --tmpdir "rmcpsec-e2e-$1.XXXXXX") || exit 1
	e2e_cleanup=${2:-}
	trap e2e_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
e2e_exit() {
	if [ -n "$e2e_cleanup" ]; then
		"$e2e_cleanup" || true
	fi
	rm -rf "$work"
}

# code COMMAND...: runs it, prints its exit status; its stdout and stderr are left in
# $work/out and $work/err.
code() {
	local rc=0
	"$@" >"$work/out" 2>"$work/err" || rc=$?
	echo "$rc"
}

# ws_profile DIR KEYFILE...: a Wireshark profile under DIR holding the key files.
# tshark_keys DIR TRACE ARGS...: tshark on TRACE with that profile, ESP decryption and
# ICV checks on, UDP 664 decoded as RMCP (docs/users/wireshark.md); stderr dropped.
ws_profile() {
	local dir=$1
	shift
	mkdir -p "$dir/cfg/wireshark"
	cp "$@" "$dir/cfg/wireshark/"
}
tshark_keys() {
	local dir=$1 trace=$2
	shift 2
	HOME=$dir XDG_CONFIG_HOME=$dir/cfg tshark -n -r "$trace" \
		-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
		-d udp.port==664,rmcp "$@" 2>/dev/null
}

# Network namespaces, links and processes a test must not leave behind.
netns_exists() { ip netns list | awk '{print $1}' | grep -qxF -- "$1"; }
link_exists() { ip link show "$1" >/dev/null 2>&1; }
netns_del() {
	local ns
	for ns in "$@"; do
		ip netns del "$ns" 2>/dev/null || true
	done
}
# process_alive PATTERN: some process has PATTERN in its command line.
process_alive() { pgrep -f -- "$1" >/dev/null; }
# results_netns RESULTS.JSON...: the namespaces each run named in results.json (net.links).
results_netns() {
	"$py" - "$@" <<'PY'
import json, sys
for path in sys.argv[1:]:
    try:
        net = json.load(open(path)).get("net", {})
    except (OSError, ValueError):
        continue
    for link in net.get("links", []):
        if link.get("netns"):
            print(link["netns"])
PY
}

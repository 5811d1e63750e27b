#!/bin/bash
# The vendor adapter of the UML client DUT (docs/testing/real-kernel.md), called by
# `rmcpsec suite --dut client --dut-control CMD`:
#
#   CMD begin SCENARIO NODE SEED PROFILE
#                     checks that the running guest was configured (dut.json) as this run's
#                     NODE: address, MAC, PSK, suite; exit 1 if not, or if no guest runs
#   CMD state         one JSON line {"power":"os_up","sa":{"spi_in":"0x..","spi_out":"0x.."}
#                     or null,"nvram":false}: a fresh snapshot taken by the guest on
#                     request; "mech_off" and no SA when the guest is not running
#   CMD power EVENT   exit 3 (not applicable): the guest can perform no power event
#   CMD end           nothing: tests/dut/uml-dut.sh stop ends the guest
#
# Exit status: 0 done, 1 the guest did not answer, 2 usage, 3 unsupported.
# Environment: RMCPSEC_DUT_DIR, the folder given to tests/dut/uml-dut.sh start;
# UMLDUT_STATE_TIMEOUT (seconds to wait for the guest's snapshot, default 15).
set -u
DIR=${RMCPSEC_DUT_DIR:-}
EVENTS="boot_complete os_hang reset power_down power_up power_cycle suspend wake power_loss power_restore nvram_clear fresh_install"

usage() {
	echo "usage: RMCPSEC_DUT_DIR=DIR $0 begin SCENARIO NODE SEED PROFILE | state | power EVENT | end" >&2
	exit 2
}

running() {
	[ -f "$DIR/ready" ] && [ ! -e "$DIR/stop" ] && [ -f "$DIR/supervisor.pid" ] &&
		kill -0 "$(cat "$DIR/supervisor.pid")" 2>/dev/null
}

state() {
	if ! running; then
		echo '{"power":"mech_off","sa":null,"nvram":false}'
		return 0
	fi
	exec 9>"$DIR/adapter.lock"
	flock -w 30 9 || { echo "uml-adapter: $DIR/adapter.lock busy" >&2; return 1; }
	local token
	token="$$-$(date +%s%N)"
	echo "$token" >"$DIR/state.req.tmp" && mv "$DIR/state.req.tmp" "$DIR/state.req"
	# The guest serves the request within its 0.2 s loop plus one `ip xfrm` (a few hundred
	# ms under UML); hostfs gives the host no notification, so the answer is polled.
	/usr/bin/python3 - "$DIR/state.json" "$token" "${UMLDUT_STATE_TIMEOUT:-15}" <<'PY'
import json, sys, time
path, token, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + limit
while True:
    try:
        with open(path) as f:
            st = json.load(f)
        if st.get("req") == token:
            print(json.dumps({"power": st["power"], "sa": st["sa"] and {
                "spi_in": st["sa"]["spi_in"], "spi_out": st["sa"]["spi_out"]},
                "nvram": bool(st["nvram"])}, separators=(",", ":")))
            sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    if time.monotonic() > deadline:
        print("uml-adapter: no state from the guest within %gs" % limit, file=sys.stderr)
        sys.exit(1)
    time.sleep(0.05)
PY
}

power() {
	local ev=${1:-}
	[ -n "$ev" ] && [[ " $EVENTS " == *" $ev "* ]] || usage
	echo "uml-adapter: power $ev unsupported: the UML guest has no power control, firmware or NVRAM" >&2
	exit 3
}

# The guest was started from dut.json; the run must want that very client (its PSK follows
# the run's seed and node index), else IKE fails in ways that say little.
begin() {
	local scn=$1 node=$2 seed=$3
	running || { echo "uml-adapter: no guest runs in $DIR (tests/dut/uml-dut.sh start)" >&2; return 1; }
	/usr/bin/python3 "$(dirname "$0")/dut_config.py" "$scn" --node "$node" --seed "$seed" \
		>"$DIR/begin.json" || return 1
	/usr/bin/python3 - "$DIR/dut.json" "$DIR/begin.json" <<'PY'
import json, sys
have, want = (json.load(open(p)) for p in sys.argv[1:3])
bad = [k for k in ("name", "ip", "mac", "psk_hex", "suite", "key_exchange")
       if have.get(k) != want.get(k)]
if bad:
    print("uml-adapter: the guest was configured otherwise: %s (dut.json) != the run's" %
          ", ".join(bad), file=sys.stderr)
    sys.exit(1)
if want.get("commit") != "none":
    print("uml-adapter: warning: %s expects the commit handshake; this guest has none "
          "(scenario: commit: none)" % want["name"], file=sys.stderr)
PY
}

[ -n "$DIR" ] && [ -d "$DIR" ] || { echo "uml-adapter: RMCPSEC_DUT_DIR must name the DUT's folder" >&2; exit 2; }
case ${1:-} in
begin) [ $# -eq 5 ] || usage; begin "$2" "$3" "$4" ;;
end) [ $# -eq 1 ] || usage ;;
state) [ $# -eq 1 ] || usage; state ;;
power) [ $# -eq 2 ] || usage; power "$2" ;;
*) usage ;;
esac

#!/usr/bin/env bash
# strongSwan in the guest reached over the live link: charon runs in the
# UML guest's root namespace on vec0 (tests/uml/guest/charon-peer.sh, responder, PSK,
# transport mode, UDP 664); from the host side of the TAP, in this test's own netns,
# tests/uml/ike_probe.py sends an IKE_SA_INIT and checks charon's answer (proposal chosen,
# X25519 KE).
# Usage (ctest): bash uml_charon_tap.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
. "$src/tests/uml/uml.sh"
PROBE_PID=""
cleanup() {
	[ -z "$PROBE_PID" ] || kill "$PROBE_PID" 2>/dev/null
	uml_cleanup
}
uml_init || exit 1
UML_TIMEOUT=150
trap cleanup EXIT

uml_tap_create || fail "cannot create the netns and TAP device"
ip -n "$UML_NETNS" link set "$UML_TAP" address 02:00:00:00:00:81 &&
	ip -n "$UML_NETNS" addr add 192.0.2.129/25 dev "$UML_TAP" &&
	ip -n "$UML_NETNS" link set "$UML_TAP" up || exit 1
W=$UML_DIR/work
echo "ROLE=responder" >"$W/charon-peer.env"

fifo=$UML_DIR/probe.ready
mkfifo "$fifo"
ip netns exec "$UML_NETNS" "$py" "$src/tests/uml/ike_probe.py" --ready "$fifo" \
	>"$W/probe.log" 2>&1 &
PROBE_PID=$!
read -r -t 30 line <>"$fifo"
[ "${line:-}" = ready ] || note_fail "host probe did not start"

uml_run_guest "$W" "$src/tests/uml/guest/charon-peer.sh"
rc=$?
wait "$PROBE_PID"
prc=$?
PROBE_PID=""
echo "guest rc=$rc, wall ${UML_WALL}s; probe rc=$prc"
echo "--- host probe"; cat "$W/probe.log"
[ $rc -eq 0 ] || note_fail "guest script exit status $rc"
[ $prc -eq 0 ] || note_fail "IKE probe exit status $prc"
grep -q 'received packet: from 192.0.2.129\[500\] to 192.0.2.130\[500\]' "$W/charon/charon.log" ||
	note_fail "charon saw no IKE packet from the host side"
grep -q 'generating IKE_SA_INIT response' "$W/charon/charon.log" || note_fail "charon sent no IKE_SA_INIT response"

if [ $failed -ne 0 ]; then
	uml_dump_log
	echo "--- charon.log"
	tail -n 40 "$W/charon/charon.log" 2>/dev/null
fi
ns=$UML_NETNS tap=$UML_TAP dir=$UML_DIR
uml_cleanup
uml_check_leftovers "$ns" "$tap" "$dir" || failed=1
[ $failed -eq 0 ] && echo "PASS: charon in the guest answered IKE_SA_INIT over TAP $tap (guest wall ${UML_WALL}s)"
exit $failed

#!/usr/bin/env bash
# The live link of the UML harness: the guest boots inside a host netns
# that this test creates, attached to a TAP device there (vec0 in the guest). From the
# host side, tests/uml/tap_peer.py writes raw Ethernet frames on the TAP and checks the
# guest's answers: ICMP echo, a clear UDP echo, and an ESP-protected UDP 664 datagram
# that the guest kernel decrypts and answers under its own SA. Then it checks that no
# netns, TAP device, process or folder is left behind.
# Usage (ctest): bash uml_tap_link.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
. "$src/tests/uml/uml.sh"
PEER_PID=""
cleanup() {
	[ -z "$PEER_PID" ] || kill "$PEER_PID" 2>/dev/null
	uml_cleanup
}
uml_init || exit 1
UML_TIMEOUT=150
trap cleanup EXIT

uml_tap_create || fail "cannot create the netns and TAP device"
ip -n "$UML_NETNS" link set "$UML_TAP" up || exit 1
W=$UML_DIR/work

# Test-only keys: AES-128 key then 4-byte salt, one per direction.
K_OUT=000102030405060708090a0b0c0d0e0f10111213
K_IN=202122232425262728292a2b2c2d2e2f30313233
HOST=192.0.2.129
GUEST=192.0.2.130
cat >"$W/vec0.xfrm" <<XFRM
state add src $HOST dst $GUEST proto esp spi 0x5001 reqid 1 mode transport replay-window 64 aead 'rfc4106(gcm(aes))' 0x$K_OUT 128
state add src $GUEST dst $HOST proto esp spi 0x5002 reqid 2 mode transport replay-window 64 aead 'rfc4106(gcm(aes))' 0x$K_IN 128
policy add dir in src $HOST/32 dst $GUEST/32 proto udp dport 664 tmpl src $HOST dst $GUEST proto esp reqid 1 mode transport
policy add dir out src $GUEST/32 dst $HOST/32 proto udp sport 664 tmpl src $GUEST dst $HOST proto esp reqid 2 mode transport
XFRM

fifo=$UML_DIR/peer.ready
mkfifo "$fifo"
ip netns exec "$UML_NETNS" "$py" "$src/tests/uml/tap_peer.py" --iface "$UML_TAP" \
	--ready "$fifo" --boot-timeout 140 --esp-out "0x5001:$K_OUT" --esp-in "0x5002:$K_IN" >"$W/peer.log" 2>&1 &
PEER_PID=$!
read -r -t 30 line <>"$fifo"
[ "${line:-}" = ready ] || note_fail "host peer did not start"

uml_run_guest "$W" "$src/tests/uml/guest/tap-echo.sh"
rc=$?
wait "$PEER_PID"
prc=$?
PEER_PID=""
echo "guest rc=$rc, wall ${UML_WALL}s; host peer rc=$prc"
echo "--- host peer"; cat "$W/peer.log"
echo "--- guest"; cat "$W/guest.out" 2>/dev/null
[ $rc -eq 0 ] || note_fail "guest script exit status $rc"
[ $prc -eq 0 ] || note_fail "host peer exit status $prc"
grep -q '^ok: ESP UDP 664 echoed' "$W/peer.log" || note_fail "no ESP round trip over the TAP"

[ $failed -eq 0 ] || uml_dump_log
ns=$UML_NETNS tap=$UML_TAP dir=$UML_DIR
uml_cleanup
uml_check_leftovers "$ns" "$tap" "$dir" || failed=1
[ $failed -eq 0 ] && echo "PASS: live link over TAP $tap in netns $ns (guest wall ${UML_WALL}s)"
exit $failed

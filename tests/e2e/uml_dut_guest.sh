#!/usr/bin/env bash
# The UML client DUT (docs/testing/real-kernel.md) on its own, before rmcpsec's DUT mode drives it:
#  - tests/dut/dut_config.py: the client's address, MAC and IKE PSK from a scenario; the
#    PSK derivation cross-checked against sim/rng.c (and `rmcpsec dut-config` if present);
#  - tests/dut/uml-dut.sh start: the guest comes up behind a fresh netns + TAP;
#  - the adapter: state before IKE (os_up, no SA), every power event not applicable (3);
#  - from the host side of the TAP, as the scenario's server (tests/dut/dut_probe.py):
#    clear UDP 664 refused by the guest's XFRM, the clear port answers per its policy;
#  - rmcpsec's IKEv2 initiator (rmcpsec_ike_peer, nodes/ike.c with the server's
#    parameters) against charon in the guest: CHILD_SA ESP AES-GCM-16-128, transport,
#    UDP 664; the adapter then names that CHILD_SA's SPIs;
#  - RMCP under ESP with the keys rmcpsec derived (the host has no ESP: sealed and opened
#    by tests/uml/ipsec_ref.py): answered under the guest's SA, a replay dropped;
#  - the same again with a second, fresh IKE SA (the server's refresh): the adapter and
#    the guest's answers move to the new CHILD_SA;
#  - uml-dut.sh stop leaves no netns, TAP, process or guest behind.
# Usage (ctest): bash uml_dut_guest.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
DUT=$src/tests/dut
PEER_PID=""
STARTED=0
stop_guest() {
	[ -z "$PEER_PID" ] || kill "$PEER_PID" 2>/dev/null
	[ $STARTED -eq 0 ] || bash "$DUT/uml-dut.sh" stop >/dev/null 2>&1
}
work_dir dut-guest stop_guest
T=$work
export RMCPSEC_DUT_DIR=$T/dut
mkdir -p "$RMCPSEC_DUT_DIR" "$T/shim"

PEER=${RMCPSEC_IKE_PEER:-$src/build/tests/rmcpsec_ike_peer}
[ -x "$PEER" ] || fail "no rmcpsec_ike_peer ($PEER): build the tree first"

# --- the scenario's view of the client, and the PSK derivation against the C code
SCN=$src/scenarios/fig6/row2-refresh.yaml
"$py" "$DUT/dut_config.py" "$SCN" --node c1 >"$T/row2.json" || fail "dut_config"
field() { "$py" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
[ "$(field "$T/row2.json" 'c["ip"], c["mac"], c["index"], c["servers"][0]["ip"], c["servers"][0]["mac"]')" = \
	"('192.0.2.101', '02:00:00:00:02:01', 1, '192.0.2.1', '02:00:00:00:01:01')" ] &&
	ok "dut_config: c1's address, MAC, node index and server" || note_fail "dut_config fields: $(cat "$T/row2.json")"
cat >"$T/psk.c" <<'C'
/* sim/run.c derive_psk over the real sim/rng.c */
#include <stdio.h>
#include <stdlib.h>
#include "sim/rng.h"
int main(int argc, char **argv)
{
	(void)argc;
	struct rng k;
	rng_seed(&k, strtoull(argv[1], NULL, 0) ^ (0x50534bULL << 40) ^ strtoull(argv[2], NULL, 0));
	for (int b = 0; b < 32; b++)
		printf("%02x", (unsigned)(rng_next(&k) & 0xff));
	printf("\n");
	return 0;
}
C
if cc -I"$src" -o "$T/psk" "$T/psk.c" "$src/sim/rng.c"; then
	for sd in 2 0x5eed 18446744073709551615; do
		want=$("$T/psk" "$sd" 1)
		"$py" "$DUT/dut_config.py" "$SCN" --node c1 --seed "$sd" >"$T/s.json"
		got=$(field "$T/s.json" 'c["psk_hex"]')
		[ "$got" = "$want" ] && ok "PSK seed $sd matches sim/rng.c" || note_fail "PSK seed $sd: $got != $want"
	done
else
	note_fail "cannot compile the derive_psk cross-check"
fi
if [ -x "$bin" ] && "$bin" dut-config "$SCN" --node c1 >"$T/lead.json" 2>/dev/null; then
	[ "$(field "$T/lead.json" 'c["psk_hex"], c["ip"], c["mac"]')" = \
		"$(field "$T/row2.json" 'c["psk_hex"], c["ip"], c["mac"]')" ] &&
		ok "rmcpsec dut-config agrees" || note_fail "rmcpsec dut-config differs: $(cat "$T/lead.json")"
fi

# --- the DUT's configuration for this test: row2's client, a text PSK (the IKE tool
# takes its PSK as text) and a clear port that answers Presence Ping and System State only
PSK=uml-dut-test-psk-not-secret
"$py" - "$T/row2.json" "$RMCPSEC_DUT_DIR/dut.json" "$PSK" <<'PY' || exit 1
import json, sys
c = json.load(open(sys.argv[1]))
c["psk_hex"] = sys.argv[3].encode().hex()
c["clear"] = {"allowed": True, "port": 623, "messages": ["presence_ping", "system_state_request"]}
json.dump(c, open(sys.argv[2], "w"))
PY

out=$(bash "$DUT/uml-dut.sh" start)
rc=$?
STARTED=1
NS=$(echo "$out" | sed -n 's/^netns=//p')
TAP=$(echo "$out" | sed -n 's/^iface=//p')
[ $rc -eq 0 ] && [ -n "$NS" ] && [ -n "$TAP" ] || fail "uml-dut.sh start: $out"
ok "guest up: netns $NS, TAP $TAP"
# the host side of the TAP plays the scenario's server
ip -n "$NS" link set "$TAP" address 02:00:00:00:01:01 &&
	ip -n "$NS" addr add 192.0.2.1/24 dev "$TAP" || fail "cannot address the TAP"

A=$DUT/uml-adapter.sh
s=$(bash "$A" state)
[ "$s" = '{"power":"os_up","sa":null,"nvram":false}' ] && ok "adapter state before IKE: $s" ||
	note_fail "adapter state before IKE: '$s'"
for ev in reset os_hang suspend wake power_loss power_restore boot_complete; do
	bash "$A" power "$ev" 2>/dev/null
	r=$?
	[ $r -eq 3 ] || note_fail "adapter power $ev: exit $r, want 3 (not applicable)"
done
bash "$A" power no_such_event 2>/dev/null
[ $? -eq 2 ] || note_fail "adapter power with an unknown event: want usage error 2"

echo "--- clear"
ip netns exec "$NS" "$py" "$DUT/dut_probe.py" clear --dut "$RMCPSEC_DUT_DIR/dut.json" || note_fail "clear probe"

echo "--- IKE: rmcpsec's initiator against charon in the guest"
# The host kernel has no ESP: a shim `ip` records the keys rmcpsec hands to the kernel.
cat >"$T/shim/ip" <<SH
#!/bin/sh
[ "\$1" = xfrm ] || exec /usr/sbin/ip "\$@"
echo "\$*" >>"$T/xfrm.log"
SH
chmod +x "$T/shim/ip"
# ike_round NAME SEED: one IKE SA + CHILD_SA from rmcpsec's initiator (as the server does
# at every refresh: always a fresh IKE SA), the adapter's view, RMCP under ESP.
ike_round() {
	local n=$1 seed=$2 suite spi_in spi_out s want prc
	mkfifo "$T/ctl.$n"
	ip netns exec "$NS" env PATH="$T/shim:$PATH" "$PEER" --initiate --local 192.0.2.1 \
		--remote 192.0.2.101 --psk "$PSK" --suite gcm --seed "$seed" --ctl "$T/ctl.$n" \
		--exit-after 120 >"$T/peer.$n" 2>&1 &
	PEER_PID=$!
	# the tool prints child-up once IKE_AUTH completed; its own retransmissions bound it
	for _ in $(seq 300); do
		grep -q '^child-up' "$T/peer.$n" && break
		kill -0 "$PEER_PID" 2>/dev/null || break
		sleep 0.2
	done
	cat "$T/peer.$n"
	read -r _ suite _ spi_in _ spi_out _ < <(grep '^child-up' "$T/peer.$n")
	if [ -n "${spi_out:-}" ]; then
		ok "$n: CHILD_SA $suite: ours in $spi_in out $spi_out"
		s=$(bash "$A" state)
		want=$(printf '{"power":"os_up","sa":{"spi_in":"0x%s","spi_out":"0x%s"},"nvram":false}' "$spi_out" "$spi_in")
		[ "$s" = "$want" ] && ok "$n: adapter names the newest CHILD_SA: $s" ||
			note_fail "$n: adapter state '$s', want '$want'"
		echo "--- $n: ESP"
		ip netns exec "$NS" "$py" "$DUT/dut_probe.py" esp --dut "$RMCPSEC_DUT_DIR/dut.json" \
			--xfrm-log "$T/xfrm.log" --spi-in "$spi_in" --spi-out "$spi_out" || note_fail "$n: ESP probe"
	else
		note_fail "$n: no CHILD_SA from IKE with charon"
	fi
	timeout 5 sh -c 'echo quit >"$1"' q "$T/ctl.$n"
	wait "$PEER_PID"
	prc=$?
	PEER_PID=""
	[ $prc -eq 0 ] || note_fail "$n: rmcpsec_ike_peer exit status $prc"
	! grep -q '^error\|^ike-down' "$T/peer.$n" || note_fail "$n: IKE error event"
}
ike_round first 1
ike_round refresh 2

D=$RMCPSEC_DUT_DIR
bash "$DUT/uml-dut.sh" stop
stop_rc=$?
STARTED=0
[ $stop_rc -eq 0 ] || note_fail "uml-dut.sh stop"
L=$D/charon/charon.log
grep -q 'selected proposal: IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519' "$L" &&
	grep -q 'selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ' "$L" &&
	ok "charon chose rmcpsec's proposals" || note_fail "charon's proposals (charon.log)"
grep -Eq 'CHILD_SA rmcp\{[0-9]+\} established with SPIs .* and TS 192\.0\.2\.101/32\[udp/664\] === 192\.0\.2\.1/32\[udp/664\]' "$L" &&
	ok "charon: transport CHILD_SA, TS udp/664 both sides" || note_fail "charon's CHILD_SA selectors (charon.log)"
blk=$(awk '$1 == "XfrmInPolBlock" { print $2 }' "$D/xfrm_stat.txt")
[ "${blk:-0}" -ge 1 ] && ok "guest kernel: XfrmInPolBlock $blk (clear UDP 664 refused)" ||
	note_fail "guest kernel did not block clear UDP 664 (XfrmInPolBlock ${blk:-?})"
rpl=$(awk '$1 == "XfrmInStateSeqError" { print $2 }' "$D/xfrm_stat.txt")
[ "${rpl:-0}" -ge 1 ] && ok "guest kernel: XfrmInStateSeqError $rpl (the replayed ESP packet)" ||
	note_fail "guest kernel saw no replay (XfrmInStateSeqError ${rpl:-?})"
grep -q "mode transport" "$D/xfrm_state.txt" || note_fail "no transport-mode state in the guest"
[ "$(grep -c 'CHILD_SA rmcp{[0-9]*} established' "$L")" -eq 2 ] || note_fail "charon: want two CHILD_SAs"
ip netns list | grep -qw "$NS" && note_fail "netns $NS left behind"
pgrep -f "UMLWORK=$D " >/dev/null && note_fail "a UML process is left"

# A supervisor killed with SIGKILL runs no trap: `stop` must still leave nothing behind
# (and say so by its exit status 1).
K=$T/killed
mkdir -p "$K" && cp "$D/dut.json" "$K/"
out=$(RMCPSEC_DUT_DIR=$K bash "$DUT/uml-dut.sh" start)
NS2=$(echo "$out" | sed -n 's/^netns=//p')
if [ -n "$NS2" ]; then
	. "$K/link.env"
	kill -KILL "$(cat "$K/supervisor.pid")"
	RMCPSEC_DUT_DIR=$K bash "$DUT/uml-dut.sh" stop 2>"$K/stop.err"
	krc=$?
	[ $krc -eq 1 ] || note_fail "stop after SIGKILL: exit $krc, want 1 (it cleaned up)"
	ip netns list | grep -qw "$NS2" && note_fail "SIGKILL: netns $NS2 left behind"
	pgrep -f "UMLWORK=$K " >/dev/null && note_fail "SIGKILL: a UML process is left"
	[ -e "$UMLDIR" ] || [ -e "$RAMDIR" ] && note_fail "SIGKILL: $UMLDIR or $RAMDIR left behind"
	ok "after SIGKILL of the supervisor, stop removed: $(tr '\n' ' ' <"$K/stop.err")"
else
	note_fail "second start (for the SIGKILL case): $out"
fi

if [ $failed -ne 0 ]; then
	echo "--- supervisor.log"; tail -n 30 "$D/supervisor.log"
	echo "--- guest.out"; tail -n 30 "$D/guest.out"
	echo "--- responder.log"; cat "$D/responder.log"
	echo "--- charon.log"; tail -n 60 "$L"
fi
[ $failed -eq 0 ] && echo "PASS: UML client DUT: IKE with rmcpsec's initiator, RMCP under ESP and in the clear, adapter"
exit $failed

#!/usr/bin/env bash
# rmcpsec's IKEv2 endpoint against strongSwan's charon on a real kernel
# (docs/testing/real-kernel.md). In one UML guest: netns h1 runs rmcpsec_ike_peer (nodes/ike.c on
# a UDP 500 socket, CHILD_SAs installed into h1's XFRM with `ip xfrm`), netns h2 runs
# charon (tests/uml/charon.sh, kernel-netlink); veth v1/v2, 192.0.2.1/192.0.2.2.
#  (a) we initiate: CHILD_SA (ESP AES-GCM-16), UDP 664 both ways through both kernels;
#      we rekey the CHILD_SA with PFS, then without; traffic under each new SPI pair.
#  (b) charon initiates to us (ESP AES-CBC + HMAC-SHA-256-128): traffic; charon rekeys
#      the CHILD_SA (PFS); traffic under the new SPIs.
#  (c) our tool records every IKE datagram it sends/receives (pcap) and the IKE SA keys
#      (Wireshark ikev2_decryption_table); tshark on the host must decrypt IKE_AUTH and
#      every CREATE_CHILD_SA.
# The guest part is this same file, run by the guest's init with UMLCMD pointing at it.
# Usage (ctest): bash uml_ike_interop.sh RMCPSEC_BINARY SOURCE_DIR
set -u

# ------------------------------------------------------------------ guest side
if [ -n "${UMLWORK:-}" ] && [ -n "${UMLCMD:-}" ] && [ -f "$UMLWORK/env" ]; then
	. "$UMLSRC/guest-lib.sh"
	. "$UMLSRC/charon.sh"
	. "$UMLWORK/env"
	PEER_PID=""
	g_cleanup() {
		[ -z "$PEER_PID" ] || kill "$PEER_PID" 2>/dev/null
		ch_stop_all
		for p in "${G_BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	}
	trap g_cleanup EXIT

	# wait_line FILE REGEX COUNT: until FILE has COUNT lines matching (at most 30 s).
	wait_line() {
		for _ in $(seq 150); do
			[ "$(grep -cE "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
			[ -n "$PEER_PID" ] && ! kill -0 "$PEER_PID" 2>/dev/null && break
			sleep 0.2
		done
		g_fail "no $3 x '$2' in $1"
		cat "$1" >&2
		return 1
	}
	# round DIR NAME PAYLOAD...: UDP 664 from h1 to h2 and echoed back; each side's SAs.
	round() {
		local d=$1 name=$2
		shift 2
		mkdir -p "$d/$name"
		ip netns exec h1 $G_PY "$UMLWORK/udp664.py" send $G_H1 $G_H2 "$@" >"$d/$name/echo.txt" ||
			g_fail "$name: traffic"
		ip -s -n h1 xfrm state >"$d/$name/xfrm_h1.txt"
		ip -s -n h2 xfrm state >"$d/$name/xfrm_h2.txt"
	}
	start_peer() { # DIR ROLE ARGS...
		local d=$1 role=$2
		shift 2
		mkdir -p "$d" && mkfifo "$d/ctl" || return 1
		ip netns exec h1 "$IKE_PEER" "--$role" --local $G_H1 --remote $G_H2 --psk "$PSK" \
			--ctl "$d/ctl" --keys "$d/keys.txt" --pcap "$d/ike.pcap" --exit-after 120 "$@" \
			>"$d/peer.out" 2>&1 &
		PEER_PID=$!
	}
	# ctl DIR LINE: a command to the tool (its FIFO is open read-write: never blocks while
	# the tool lives; the timeout covers a tool that died).
	ctl() { timeout 5 sh -c 'echo "$2" >"$1/ctl"' ctl "$1" "$2" || g_fail "ctl $2"; }
	stop_peer() { # DIR
		ctl "$1" quit
		wait "$PEER_PID"
		echo $? >"$1/peer.rc"
		PEER_PID=""
	}
	reset_ns() {
		ch_stop_all
		g_xfrm_flush h1 && g_xfrm_flush h2
	}

	g_pair || exit 1
	g_bg_ready h2 echo $G_PY "$UMLWORK/udp664.py" echo $G_H2 || exit 1
	t0=$(cut -d' ' -f1 /proc/uptime)
	uptime_s() { awk -v t="$t0" '{ printf "%.1f", $1 - t }' /proc/uptime; }

	# (a) rmcpsec initiates, charon responds; ESP AES-GCM-16.
	A=$UMLWORK/a
	CH_ESP_PROPOSALS=aes128gcm16-x25519-modpnone ch_conf "$A/ch" $G_H2 $G_H1 responder "$PSK" &&
		ch_start h2 "$A/ch" && ch_load "$A/ch" >"$A/load.txt" 2>&1 || { cat "$A/load.txt"; exit 1; }
	start_peer "$A" initiate --suite gcm --seed 11
	wait_line "$A/peer.out" '^child-up' 1 || exit 1
	echo "a: established at $(uptime_s) s"
	round "$A" 1-established a-1 a-2 a-3
	ctl "$A" "rekey pfs"
	wait_line "$A/peer.out" '^child-up .* rekeyed' 1 || exit 1
	# the round waits for our DELETE of the old CHILD_SA to be answered: charon moves its
	# outbound traffic to the new SA only then.
	wait_line "$A/peer.out" '^child-down' 1 || exit 1
	echo "a: rekeyed with PFS at $(uptime_s) s"
	round "$A" 2-rekeyed-pfs a-pfs-1 a-pfs-2 a-pfs-3
	ctl "$A" "rekey nopfs"
	wait_line "$A/peer.out" '^child-up .* rekeyed' 2 || exit 1
	wait_line "$A/peer.out" '^child-down' 2 || exit 1
	echo "a: rekeyed without PFS at $(uptime_s) s"
	round "$A" 3-rekeyed-nopfs a-nopfs-1 a-nopfs-2 a-nopfs-3
	ch_list "$A/ch" >"$A/sas.txt"
	stop_peer "$A"
	reset_ns

	# (b) charon initiates, rmcpsec responds; ESP AES-CBC + HMAC-SHA-256-128.
	B=$UMLWORK/b
	start_peer "$B" respond --suite cbc --pfs --seed 22
	CH_ESP_PROPOSALS=aes128-sha256-x25519-modpnone ch_conf "$B/ch" $G_H2 $G_H1 initiator "$PSK" &&
		ch_start h2 "$B/ch" && ch_load "$B/ch" >"$B/load.txt" 2>&1 || { cat "$B/load.txt"; exit 1; }
	ch_initiate "$B/ch" >"$B/initiate.txt" || { cat "$B/initiate.txt"; exit 1; }
	wait_line "$B/peer.out" '^child-up' 1 || exit 1
	echo "b: established at $(uptime_s) s"
	round "$B" 1-established b-1 b-2 b-3
	ch_rekey "$B/ch" >/dev/null || exit 1
	wait_line "$B/peer.out" '^child-up .* rekeyed' 1 || exit 1
	# charon deletes the old CHILD_SA after the rekey; the round waits for that.
	wait_line "$B/peer.out" '^child-down' 1 || exit 1
	echo "b: rekeyed by charon at $(uptime_s) s"
	round "$B" 2-rekeyed b-rk-1 b-rk-2 b-rk-3
	ch_list "$B/ch" >"$B/sas.txt"
	stop_peer "$B"
	reset_ns
	echo "guest done at $(uptime_s) s"
	exit 0
fi

# ------------------------------------------------------------------ host side
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
SELF=$(readlink -f "$0")
T0=$(date +%s)

# The tool runs inside the guest, whose root is the host filesystem: it must be a plain
# (non-sanitizer) build, as ASan cannot run under UML.
plain() { [ -x "$1" ] && ! grep -q __asan_init "$1"; }
find_peer() {
	local c
	for c in "${RMCPSEC_IKE_PEER:-}" "$src"/build/tests/rmcpsec_ike_peer \
		$(find "$src" -maxdepth 3 -type f -name rmcpsec_ike_peer 2>/dev/null); do
		[ -n "$c" ] && plain "$c" && { echo "$c"; return 0; }
	done
	return 1
}
PEER=$(find_peer) || fail "no non-sanitizer rmcpsec_ike_peer (cmake -S . -B build && cmake --build build)"
echo "tool: $PEER"

UML_TIMEOUT=${UML_TIMEOUT:-150}
. "$src/tests/uml/uml.sh"
uml_init || exit 1
W=$UML_DIR/work
printf 'IKE_PEER=%q\nPSK=%q\n' "$PEER" "interop-test-only-psk" >"$W/env"

# UDP 664 on both hosts: `echo` answers every datagram; `send` sends each payload from
# port 664 and waits for its echo (2 s), printing "ok PAYLOAD" or "lost PAYLOAD".
cat >"$W/udp664.py" <<'PY'
import socket, sys
mode, me = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((me, 664))
if mode == "echo":
    with open(sys.argv[sys.argv.index("--ready") + 1], "w") as f:
        f.write("ready\n")
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
peer, bad = sys.argv[3], 0
s.settimeout(2)
for p in sys.argv[4:]:
    s.sendto(p.encode(), (peer, 664))
    try:
        got = s.recvfrom(65535)[0].decode()
    except socket.timeout:
        got = None
    print(("ok " if got == p else "lost ") + p, flush=True)
    bad += got != p
sys.exit(1 if bad else 0)
PY

uml_run_guest "$W" "$SELF"
rc=$?
echo "guest rc=$rc, wall ${UML_WALL}s"
cat "$W/guest.out" 2>/dev/null
[ $rc -eq 0 ] || note_fail "guest script exit status $rc"

# pkts FILE SRC DST SPI: packet count of that kernel SA in an `ip -s xfrm state` dump.
pkts() {
	awk -v s="$2" -v d="$3" -v spi="0x$4" '
		$1 == "src" { cur = ($2 == s && $4 == d) }
		cur && $1 == "proto" { cur = (index($4, spi "(") == 1) } # ip prints 0xSPI(decimal)
		cur && $1 == "lifetime" && $2 == "current:" { getline; split($2, a, "("); print a[1]; exit }
	' "$1"
}
# check_round DIR ROUND IN OUT PAYLOAD...: echoes came back; h1's SAs IN/OUT carried them
# both ways and h2 (charon) has the mirror SAs with traffic too.
check_round() {
	local d=$1/$2 r in=$3 out=$4 p want="" n
	r=${1##*/}/$2
	shift 4
	for p in "$@"; do want="${want}ok $p
"; done
	[ "$(cat "$d/echo.txt" 2>/dev/null)
" = "$want" ] || note_fail "$r: echoes: $(tr '\n' ' ' <"$d/echo.txt" 2>/dev/null)"
	for n in "h1 192.0.2.1 192.0.2.2 $out" "h1 192.0.2.2 192.0.2.1 $in" \
		"h2 192.0.2.1 192.0.2.2 $out" "h2 192.0.2.2 192.0.2.1 $in"; do
		set -- $n
		[ "$(pkts "$d/xfrm_$1.txt" "$2" "$3" "$4")" = 3 ] ||
			note_fail "$r: $1's SA $2->$3 spi 0x$4 carried '$(pkts "$d/xfrm_$1.txt" "$2" "$3" "$4")' packets, want 3"
	done
	grep -q 'mode transport' "$d/xfrm_h1.txt" || note_fail "$r: h1's SAs not in transport mode"
}
# child N FILE: "IN OUT" SPIs of the N-th child-up line of the tool's output.
child() { awk -v n="$1" '$1 == "child-up" && ++k == n { print $4, $6 }' "$2"; }
# tshark_n PCAP KEYS FILTER: frames matching FILTER with the keys given.
tshark_n() {
	local uat=() l
	while IFS= read -r l; do uat+=(-o "uat:ikev2_decryption_table:$l"); done <"$2"
	tshark -n -r "$1" "${uat[@]}" -Y "$3" -T fields -e frame.number 2>/dev/null | wc -l
}

check_ike_trace() { # DIR NCREATE NKE: CREATE_CHILD_SA messages, those with an X25519 KE
	local d=$1
	[ -s "$d/keys.txt" ] || { note_fail "$(basename "$d"): no IKE keys written"; return; }
	[ "$(tshark_n "$d/ike.pcap" /dev/null 'isakmp.auth.method')" = 0 ] ||
		note_fail "$(basename "$d"): IKE_AUTH readable without keys"
	[ "$(tshark_n "$d/ike.pcap" "$d/keys.txt" 'isakmp.exchangetype==35 && isakmp.auth.method==2')" = 2 ] ||
		note_fail "$(basename "$d"): tshark did not decrypt both IKE_AUTH messages"
	[ "$(tshark_n "$d/ike.pcap" "$d/keys.txt" 'isakmp.exchangetype==36 && isakmp.nonce')" = "$2" ] ||
		note_fail "$(basename "$d"): tshark decrypted $(tshark_n "$d/ike.pcap" "$d/keys.txt" 'isakmp.exchangetype==36 && isakmp.nonce') CREATE_CHILD_SA messages, want $2"
	[ "$(tshark_n "$d/ike.pcap" "$d/keys.txt" 'isakmp.exchangetype==36 && isakmp.key_exchange.dh_group==31')" = "$3" ] ||
		note_fail "$(basename "$d"): CREATE_CHILD_SA messages with a KE (group 31): want $3"
}

if [ $rc -eq 0 ]; then
	A=$W/a B=$W/b
	for d in "$A" "$B"; do
		echo "--- $(basename "$d"): rmcpsec_ike_peer"
		cat "$d/peer.out"
		[ "$(cat "$d/peer.rc")" = 0 ] || note_fail "$(basename "$d"): ike_peer exit status $(cat "$d/peer.rc")"
		grep -q '^ike-up' "$d/peer.out" || note_fail "$(basename "$d"): no IKE SA"
		grep -qE '^(error|ike-down)' "$d/peer.out" && note_fail "$(basename "$d"): error event"
	done
	# (a) three CHILD_SAs in turn, each pair of SPIs new, each carrying the traffic.
	a1=$(child 1 "$A/peer.out") a2=$(child 2 "$A/peer.out") a3=$(child 3 "$A/peer.out")
	echo "a: SPIs (in out): [$a1] -> [$a2] -> [$a3]"
	[ -n "$a3" ] && [ "$a1" != "$a2" ] && [ "$a2" != "$a3" ] || note_fail "a: SPIs did not change"
	check_round "$A" 1-established $a1 a-1 a-2 a-3
	check_round "$A" 2-rekeyed-pfs $a2 a-pfs-1 a-pfs-2 a-pfs-3
	check_round "$A" 3-rekeyed-nopfs $a3 a-nopfs-1 a-nopfs-2 a-nopfs-3
	grep -q "rekey ${a1%% *} pfs rc 0" "$A/peer.out" || note_fail "a: no PFS rekey by us"
	grep -q "rekey ${a2%% *} nopfs rc 0" "$A/peer.out" || note_fail "a: no rekey without PFS by us"
	# charon's view: the PFS rekey selected X25519, the other no DH group.
	grep -q 'selected proposal: ESP:AES_GCM_16_128/CURVE_25519' "$A/ch/charon.log" ||
		note_fail "a: charon did not select a PFS proposal"
	grep -q 'selected proposal: ESP:AES_GCM_16_128/NO_EXT_SEQ' "$A/ch/charon.log" ||
		note_fail "a: charon selected no proposal without DH"
	[ "$(grep -o 'CHILD_SA rmcp{[0-9]*} established' "$A/ch/charon.log" | sort -u | wc -l)" = 3 ] ||
		note_fail "a: charon did not establish 3 CHILD_SAs"
	# the old SAs are gone from h1's kernel after each rekey
	for s in $a1 $a2; do grep -q "spi 0x$s" "$A/3-rekeyed-nopfs/xfrm_h1.txt" &&
		note_fail "a: old SA 0x$s still in h1's kernel"; done
	check_ike_trace "$A" 4 2 # the PFS rekey carries KE both ways, the other none

	b1=$(child 1 "$B/peer.out") b2=$(child 2 "$B/peer.out")
	echo "b: SPIs (in out): [$b1] -> [$b2]"
	[ -n "$b2" ] && [ "$b1" != "$b2" ] || note_fail "b: SPIs did not change"
	[ "$(grep -c '^child-up esp-aes128-sha256' "$B/peer.out")" = 2 ] || note_fail "b: CHILD_SAs not AES-CBC/HMAC-SHA-256"
	check_round "$B" 1-established $b1 b-1 b-2 b-3
	check_round "$B" 2-rekeyed $b2 b-rk-1 b-rk-2 b-rk-3
	grep -q 'selected proposal: ESP:AES_CBC_128/HMAC_SHA2_256_128/CURVE_25519' "$B/ch/charon.log" ||
		note_fail "b: charon's rekey did not select AES-CBC/HMAC-SHA-256 with X25519"
	grep -q 'enc cbc(aes)' "$B/1-established/xfrm_h1.txt" || note_fail "b: h1's SA is not AES-CBC"
	check_ike_trace "$B" 2 2
fi

if [ $failed -ne 0 ]; then
	uml_dump_log
	for d in a b; do
		echo "--- $d/ch/charon.log"
		tail -n 80 "$W/$d/ch/charon.log" 2>/dev/null
	done
fi
dir=$UML_DIR
uml_cleanup
uml_check_leftovers "" "" "$dir" || failed=1
[ $failed -eq 0 ] && echo "PASS: rmcpsec IKEv2 <-> strongSwan charon in UML: both directions, CHILD_SA rekeys with and without PFS, UDP 664 through XFRM, tshark decrypts (guest ${UML_WALL}s, total $(($(date +%s) - T0))s)"
exit $failed

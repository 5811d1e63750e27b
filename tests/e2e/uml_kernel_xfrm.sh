#!/usr/bin/env bash
# The Linux kernel as an independent IPsec verifier: inside one UML guest,
# namespaces h1/h2 on a veth, transport-mode SAs for UDP 664 with ESP rfc4106(gcm(aes)),
# ESP cbc(aes) + hmac(sha256)-128, AH hmac(sha256)-128 and the AH+ESP bundle. For each suite:
#   kernel  h1's kernel encrypts three datagrams; h2's socket gets them; h2 echoes them
#           back encrypted; every packet on the wire decodes with tests/uml/ipsec_ref.py
#   replay  the captured packets are injected again (XfrmInStateSeqError +3) and one with a
#           fresh sequence number and a flipped bit (XfrmInStateProtoError +1); none delivered
#   host    packets encoded on the host by ipsec_ref.py (standing in for rmcpsec's encoder)
#           are injected: three delivered, a duplicate counted as replay, a flipped one as
#           an integrity failure
# Usage (ctest): bash uml_kernel_xfrm.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
. "$src/tests/uml/uml.sh"
uml_init || exit 1
UML_TIMEOUT=150
W=$UML_DIR/work
REF=("$py" "$src/tests/uml/ipsec_ref.py")

# Test-only keys (AES-128 key + 4-byte salt; HMAC-SHA-256 key), one per direction.
KE12=000102030405060708090a0b0c0d0e0f10111213
KE21=202122232425262728292a2b2c2d2e2f30313233
KA12=404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f
KA21=606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f
KC12=808182838485868788898a8b8c8d8e8f
KC21=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
KCA12=c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf
KCA21=e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff
SUITES="esp cbc ah ahesp"
H1=192.0.2.1
H2=192.0.2.2

spi_base() { case $1 in esp) echo 0x1000 ;; ah) echo 0x2000 ;; ahesp) echo 0x3000 ;; cbc) echo 0x4000 ;; esac; }
has_esp() { [ "$1" != ah ]; }
has_ah() { [ "$1" = ah ] || [ "$1" = ahesp ]; }
spi() { printf '0x%x' $(($(spi_base "$1") + $2)); } # SUITE OFFSET

# suite_states SUITE: the four (or two) SAs, identical in both namespaces.
suite_states() {
	local s=$1
	if [ "$s" = cbc ]; then
		echo "state add src $H1 dst $H2 proto esp spi $(spi "$s" 1) reqid 1 mode transport replay-window 64 enc 'cbc(aes)' 0x$KC12 auth-trunc 'hmac(sha256)' 0x$KCA12 128"
		echo "state add src $H2 dst $H1 proto esp spi $(spi "$s" 2) reqid 2 mode transport replay-window 64 enc 'cbc(aes)' 0x$KC21 auth-trunc 'hmac(sha256)' 0x$KCA21 128"
	elif has_esp "$s"; then
		echo "state add src $H1 dst $H2 proto esp spi $(spi "$s" 1) reqid 1 mode transport replay-window 64 aead 'rfc4106(gcm(aes))' 0x$KE12 128"
		echo "state add src $H2 dst $H1 proto esp spi $(spi "$s" 2) reqid 2 mode transport replay-window 64 aead 'rfc4106(gcm(aes))' 0x$KE21 128"
	fi
	if has_ah "$s"; then
		echo "state add src $H1 dst $H2 proto ah spi $(spi "$s" 17) reqid 1 mode transport replay-window 64 auth-trunc 'hmac(sha256)' 0x$KA12 128"
		echo "state add src $H2 dst $H1 proto ah spi $(spi "$s" 18) reqid 2 mode transport replay-window 64 auth-trunc 'hmac(sha256)' 0x$KA21 128"
	fi
}

# tmpls SUITE SRC DST REQID: innermost first, so the bundle is IP|AH|ESP|UDP.
tmpls() {
	local s=$1 a=$2 b=$3 r=$4 t=""
	has_esp "$s" && t="$t tmpl src $a dst $b proto esp reqid $r mode transport"
	has_ah "$s" && t="$t tmpl src $a dst $b proto ah reqid $r mode transport"
	echo "$t"
}

# suite_xfrm SUITE h1|h2: states plus the UDP 664 policies of one side.
suite_xfrm() {
	local s=$1 ns=$2
	suite_states "$s"
	if [ "$ns" = h1 ]; then
		echo "policy add dir out src $H1/32 dst $H2/32 proto udp dport 664 $(tmpls "$s" $H1 $H2 1)"
		echo "policy add dir in src $H2/32 dst $H1/32 proto udp sport 664 $(tmpls "$s" $H2 $H1 2)"
	else
		echo "policy add dir in src $H1/32 dst $H2/32 proto udp dport 664 $(tmpls "$s" $H1 $H2 1)"
		echo "policy add dir out src $H2/32 dst $H1/32 proto udp sport 664 $(tmpls "$s" $H2 $H1 2)"
	fi
}

ref() { # SUITE DIRECTION(12|21) ARGS...: ipsec_ref.py with the suite's keys and SPIs
	local s=$1 d=$2
	shift 2
	local ke=$KE12 ka=$KA12 kc=$KC12 kca=$KCA12 o=1
	[ "$d" = 21 ] && { ke=$KE21; ka=$KA21; kc=$KC21; kca=$KCA21; o=2; }
	[ "$s" = cbc ] && ke=$kc
	"${REF[@]}" --suite "$s" --spi-esp "$(spi "$s" $o)" --spi-ah "$(spi "$s" $((o + 16)))" \
		--key-esp "$ke" --key-ah "$ka" --key-esp-auth "$kca" "$@"
}

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

write_rounds() {
	local s i=0 r p
	for s in $SUITES; do
		i=$((i + 1))
		r=$W/rounds/${i}1-$s-kernel
		mkdir -p "$r"
		suite_xfrm $s h1 >"$r/h1.xfrm"
		suite_xfrm $s h2 >"$r/h2.xfrm"
		printf 'kernel-%s-%d\n' $s 1 $s 2 $s 3 >"$r/send.txt"
		: >"$r/echo"

		r=$W/rounds/${i}2-$s-replay
		mkdir -p "$r"
		k=../${i}1-$s-kernel/out/sent
		printf '%s\n' $k/001.ip $k/002.ip $k/003.ip "$k/001.ip seq=1000 flip=17" >"$r/inject.list"

		r=$W/rounds/${i}3-$s-host
		mkdir -p "$r/inject"
		suite_xfrm $s h1 >"$r/h1.xfrm"
		suite_xfrm $s h2 >"$r/h2.xfrm"
		: >"$r/echo"
		printf '%s\n' "1 host-$s-1 $r/inject/001.ip" "2 host-$s-2 $r/inject/002.ip" \
			"3 host-$s-3 $r/inject/003.ip" "2 host-$s-2 $r/inject/004-replay.ip" \
			"4 host-$s-4 $r/inject/005-flip.ip 17" | ref $s 12 encode-many || return 1
	done
}

# expect_received ROUND PAYLOAD...: h2's socket got exactly these, in this order.
expect_received() {
	local name=$1 r=$W/rounds/$1 want="" p
	shift
	for p in "$@"; do want="$want$(hex "$p")"$'\n'; done
	local got
	got=$(awk '{ print $3 }' "$r/out/received.txt")
	[ "$got"$'\n' = "$want" ] || [ -z "$got$want" ] ||
		note_fail "$name: received [$(tr '\n' ' ' <"$r/out/received.txt")], want [$*]"
}

# expect_delta ROUND "Counter n" ...: exactly these xfrm_stat counters moved in h2.
expect_delta() {
	local name=$1 r=$W/rounds/$1 want got
	shift
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(sort "$r/out/stat.delta")
	[ "$got" = "$want" ] || note_fail "$name: xfrm_stat delta [$(echo $got)], want [$(echo $want)]"
}

# expect_decoded ROUND SUBDIR SUITE DIR PAYLOAD...: the packets the kernel put on the wire
# decode with the reference decoder to these payloads, with sequence numbers 1, 2, 3 ...
expect_decoded() {
	local name=$1 r=$W/rounds/$1 sub=$2 s=$3 d=$4 n=0 f out p
	shift 4
	local files=("$r/out/$sub"/*.ip)
	[ ${#files[@]} -eq $# ] && [ -e "${files[0]}" ] || {
		note_fail "$name: $sub has ${#files[@]} packets, want $#"
		return
	}
	local lines=() seq sp dp hx port
	mapfile -t lines < <(ref "$s" "$d" decode "${files[@]}")
	for p in "$@"; do
		f=$(basename "${files[$n]}")
		out=${lines[$n]:-none}
		n=$((n + 1))
		read -r seq sp dp hx <<<"$out"
		port=$dp
		[ "$d" = 21 ] && port=$sp # answers come from port 664
		[ "$seq" = "$n" ] && [ "$port" = 664 ] && [ "$hx" = "$(hex "$p")" ] ||
			note_fail "$name: $sub/$f decoded to [$out], want seq $n, port 664, payload $p"
	done
}

write_rounds || { note_fail "could not encode the host packets"; exit 1; }
uml_run_guest "$W" "$src/tests/uml/guest-rounds.sh"
rc=$?
echo "guest rc=$rc, wall ${UML_WALL}s"
cat "$W/guest.out" 2>/dev/null
[ $rc -eq 0 ] || note_fail "guest script exit status $rc"

if [ $rc -eq 0 ]; then
	i=0
	for s in $SUITES; do
		i=$((i + 1))
		k=("kernel-$s-1" "kernel-$s-2" "kernel-$s-3")
		expect_received ${i}1-$s-kernel "${k[@]}"
		expect_delta ${i}1-$s-kernel ""
		expect_decoded ${i}1-$s-kernel sent $s 12 "${k[@]}"
		expect_decoded ${i}1-$s-kernel captured $s 21 "${k[@]}"

		expect_received ${i}2-$s-replay
		expect_delta ${i}2-$s-replay "XfrmInStateSeqError 3" "XfrmInStateProtoError 1"

		expect_received ${i}3-$s-host host-$s-1 host-$s-2 host-$s-3
		expect_delta ${i}3-$s-host "XfrmInStateSeqError 1" "XfrmInStateProtoError 1"
		expect_decoded ${i}3-$s-host captured $s 21 host-$s-1 host-$s-2 host-$s-3
	done
fi

[ $failed -eq 0 ] || uml_dump_log
dir=$UML_DIR
uml_cleanup
uml_check_leftovers "" "" "$dir" || failed=1
[ $failed -eq 0 ] && echo "PASS: kernel XFRM verified ESP-GCM, ESP-CBC, AH and AH+ESP (wall ${UML_WALL}s)"
exit $failed

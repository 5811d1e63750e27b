#!/usr/bin/env bash
# Our IPsec code (proto/esp.c, proto/ah.c through tests/tools/rmcpsec_ipsec_pkt) against the
# Linux 6.1 kernel in a UML guest (docs/testing/real-kernel.md). One guest boot, one
# round per suite (pkt.py's round driver, via tests/tools/uml_rounds_batched.py): namespaces
# h1/h2 hold transport-mode SAs with our keys for UDP 664, and
#   kernel -> us   h1's kernel sends three datagrams (out/sent) and h2's kernel echoes every
#                  datagram it receives (out/captured); our code opens all of them and must
#                  find the payloads and the sequence numbers (64-bit with ESN) in order
#   us -> kernel   our code seals three datagrams, injected on h1's veth: h2's UDP 664
#                  socket must get them; a copy (replay) and a bit-flipped packet must not
#                  be delivered, and h2's /proc/net/xfrm_stat must show exactly
#                  XfrmInStateSeqError +1 and XfrmInStateProtoError +1
#   negative, ours a replayed kernel packet and a re-sequenced, bit-flipped one are refused
#                  by our code (exit status 1, replay=1 and bad_icv=1 in its counters)
# Suites: ESP AES-GCM-16 128/256, ESP AES-CBC + HMAC-SHA-256-128, AH (32-byte, and 28-byte
# with `flag align4`), AH+ESP; ESN (crossing 2^32 both ways) for GCM, CBC, AH and AH+ESP.
# In the AH rounds the kernel must also refuse our AH with the other alignment (28 bytes
# without `flag align4`, 32 with it) while it takes the matching one.
# Usage (ctest): bash uml_rmcpsec_ipsec.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
T0=$(date +%s)

find_tool() {
	local c
	for c in "${RMCPSEC_IPSEC_PKT:-}" "$(dirname "${1:-.}")/../tests/rmcpsec_ipsec_pkt"; do
		[ -n "$c" ] && [ -x "$c" ] && { echo "$c"; return 0; }
	done
	# newest build of the tool under the source tree (build/, build-asan/, ...)
	c=$(find "$src" -maxdepth 4 -type f -name rmcpsec_ipsec_pkt -perm -u+x -printf '%T@ %p\n' \
		2>/dev/null | sort -rn | head -n1 | cut -d' ' -f2-)
	[ -n "$c" ] && { echo "$c"; return 0; }
	return 1
}
TOOL=$(find_tool "$bin") || fail "rmcpsec_ipsec_pkt not built (cmake --build build)"
echo "tool: $TOOL"

# A loaded host (other guests, builds) can triple a guest's run time; the test's own
# budget is under two minutes on a quiet one.
UML_TIMEOUT=${UML_TIMEOUT:-180}
. "$src/tests/uml/uml.sh"
uml_init || exit 1
W=$UML_DIR/work
# pkt.py's round driver, with each round's `ip xfrm` lines batched (tests/tools/).
printf 'exec %q %q "$UMLSRC" "$UMLWORK"\n' "$py" "$src/tests/tools/uml_rounds_batched.py" \
	>"$UML_DIR/guest-rounds.sh"

H1=192.0.2.1
H2=192.0.2.2
# Test-only keys, one set per direction (12: h1 -> h2, 21: h2 -> h1).
key() { # KIND DIR: hex key material
	local b
	case $1 in
	gcm128) b=20 ;; gcm256) b=36 ;; aes128) b=16 ;; aes256) b=32 ;; hmac) b=32 ;;
	esac
	local seed=$(((${#1} * 7 + $2 + ($2 == 21 ? 128 : 0)) & 0xff)) i out="" x
	for ((i = 0; i < b; i++)); do
		printf -v x '%02x' $(((seed + i * 13) & 0xff))
		out+=$x
	done
	echo "$out"
}

# Round table: NAME ESP AH ESN (ESP: gcm128|gcm256|cbc128|cbc256|-; AH: ah|ah4|-).
ROUNDS=(
	"01-gcm128 gcm128 - 0"
	"02-gcm256 gcm256 - 0"
	"03-cbc128 cbc128 - 0"
	"04-ah - ah 0"
	"05-ah-align4 - ah4 0"
	"06-ahesp gcm128 ah 0"
	"07-gcm128-esn gcm128 - 1"
	"08-cbc256-esn cbc256 - 1"
	"09-ah-esn - ah 1"
	"10-ahesp-esn cbc128 ah 1"
)

# Sequence numbers. Without ESN the kernels start at 1; our packets use 11.. so that they
# follow h1's. With ESN the kernels' counters are preset (replay-oseq / replay-seq) so that
# h2's echoes and our own packets both cross 2^32.
seq_plan() { # ESN: sets KO12 (h1 oseq), KS (receivers' seq), OURS (our first), KO21 (h2 oseq)
	if [ "$1" = 1 ]; then
		KO12=$((0xfffffff0)) KS=$((0xffffffe0)) OURS=$((0xfffffffe)) KO21=$((0xfffffffd))
	else
		KO12=0 KS=0 OURS=11 KO21=0
	fi
}

spi() { printf '0x%x' $((0x1000 * 10#${1%%-*} + $2)); } # ROUNDNAME N

# xfrm_states NAME ESP AH ESN [ah-flag-override]: the SAs, identical in h1 and h2.
xfrm_states() {
	local n=$1 esp=$2 ah=$3 esn=$4 d o src dst f alg
	seq_plan "$esn"
	for d in 12 21; do
		if [ $d = 12 ]; then src=$H1 dst=$H2 o=$KO12; else src=$H2 dst=$H1 o=$KO21; fi
		local common="mode transport replay-window 64"
		[ "$esn" = 1 ] && common="$common replay-oseq $o replay-seq $KS"
		if [ "$esp" != - ]; then
			case $esp in
			gcm*) alg="aead 'rfc4106(gcm(aes))' 0x$(key "$esp" $d) 128" ;;
			cbc*) alg="enc 'cbc(aes)' 0x$(key "aes${esp#cbc}" $d) auth-trunc 'hmac(sha256)' 0x$(key hmac $d) 128" ;;
			esac
			f=""
			[ "$esn" = 1 ] && f="flag esn"
			echo "state add src $src dst $dst proto esp spi $(spi "$n" $d) reqid $d $common $f $alg"
		fi
		if [ "$ah" != - ]; then
			f=""
			[ "$esn" = 1 ] && f="esn"
			[ "$ah" = ah4 ] && f="$f align4"
			[ -n "$f" ] && f="flag $f"
			echo "state add src $src dst $dst proto ah spi $(spi "$n" $((d + 100))) reqid $d $common $f auth-trunc 'hmac(sha256)' 0x$(key hmac $((d + 1))) 128"
		fi
	done
}

# tmpls ESP AH SRC DST REQID: innermost first, so the bundle is IP|AH|ESP|UDP.
tmpls() {
	local t=""
	[ "$1" != - ] && t="$t tmpl src $3 dst $4 proto esp reqid $5 mode transport"
	[ "$2" != - ] && t="$t tmpl src $3 dst $4 proto ah reqid $5 mode transport"
	echo "$t"
}

xfrm_side() { # NS NAME ESP AH ESN
	local ns=$1
	shift
	xfrm_states "$@"
	local dirh1=out dirh2=in
	[ "$ns" = h2 ] && { dirh1=in dirh2=out; }
	echo "policy add dir $dirh1 src $H1/32 dst $H2/32 proto udp dport 664 $(tmpls "$2" "$3" $H1 $H2 12)"
	echo "policy add dir $dirh2 src $H2/32 dst $H1/32 proto udp sport 664 $(tmpls "$2" "$3" $H2 $H1 21)"
}

# tool_sa NAME ESP AH ESN DIR: sets SA to our tool's SA options for one direction.
tool_sa() {
	local n=$1 esp=$2 ah=$3 esn=$4 d=$5
	SA=()
	case $esp in
	gcm*) SA+=(--esp-gcm "$(key "$esp" "$d")") ;;
	cbc*) SA+=(--esp-cbc "$(key "aes${esp#cbc}" "$d"):$(key hmac "$d")") ;;
	esac
	[ "$esp" != - ] && SA+=(--esp-spi "$(spi "$n" "$d")")
	[ "$ah" != - ] && SA+=(--ah "$(key hmac $((d + 1)))" --ah-spi "$(spi "$n" $((d + 100)))")
	[ "$ah" = ah4 ] && SA+=(--ah-align4)
	[ "$esn" = 1 ] && SA+=(--esn)
	return 0
}

# hex TEXT: its bytes in hex, without a fork (the host is often busy while this runs)
hex() {
	local i x out=""
	for ((i = 0; i < ${#1}; i++)); do
		printf -v x '%02x' "'${1:i:1}"
		out+=$x
	done
	echo "$out"
}

write_round() { # NAME ESP AH ESN
	local n=$1 r=$W/rounds/$1 p
	mkdir -p "$r/inject"
	xfrm_side h1 "$@" >"$r/h1.xfrm"
	xfrm_side h2 "$@" >"$r/h2.xfrm"
	printf "kernel-$n-%d\n" 1 2 3 >"$r/send.txt"
	: >"$r/echo"
	seq_plan "$4"
	tool_sa "$@" 12
	"$TOOL" seal "${SA[@]}" --seq "$OURS" --out "$r/inject" "ours-$n-1" "ours-$n-2" "ours-$n-3" \
		"ours-$n-4" || return 1
	cp "$r/inject/002.ip" "$r/inject/004-replay.ip"
	"$TOOL" mutate --flip 17 "$r/inject/004.ip" "$r/inject/005-flip.ip" || return 1
	rm "$r/inject/004.ip"
	if [ "$2" = - ]; then write_misaligned "$1" "$3" "$4" || return 1; fi
}

# AH alone: also our AH with the other alignment (28 bytes where the kernel SA lacks
# `flag align4`, 32 where it has it) at a fresh sequence number: the kernel must refuse it
# (one more XfrmInStateProtoError) though it takes our matching ones.
write_misaligned() { # NAME AH ESN
	local n=$1 r=$W/rounds/$1 other=ah4
	[ "$2" = ah4 ] && other=ah
	tool_sa "$n" - "$other" "$3" 12
	mkdir -p "$r/misaligned" && "$TOOL" seal "${SA[@]}" --seq $((OURS + 4)) --out "$r/misaligned" \
		"misaligned-$n" &&
		mv "$r/misaligned/001.ip" "$r/inject/006-misaligned.ip" && rmdir "$r/misaligned"
}

write_rounds() {
	local line
	for line in "${ROUNDS[@]}"; do
		write_round $line || return 1
	done
}

# expect_received ROUND PAYLOAD...: h2's socket got exactly these, in this order.
expect_received() {
	local r=$W/rounds/$1 want="" got p
	shift
	for p in "$@"; do want+="$(hex "$p")"$'\n'; done
	got=$(awk '{ print $3 }' "$r/out/received.txt" 2>/dev/null)
	[ "$got"$'\n' = "$want" ] || note_fail "${r##*/}: h2 received [$(awk '{ print $3 }' "$r/out/received.txt" 2>/dev/null | tr '\n' ' ')], want hex of [$*]"
}

# expect_delta ROUND "Counter n" ...: exactly these xfrm_stat counters moved in h2.
expect_delta() {
	local n=$1 r=$W/rounds/$1 want got
	shift
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	got=$(sort "$r/out/stat.delta" 2>/dev/null)
	[ "$got" = "$want" ] || note_fail "$n: h2 xfrm_stat delta [$(echo $got)], want [$(echo $want)]"
}

# expect_opened ROUND SUB DIR FIRSTSEQ PAYLOAD...: our code opens every packet the kernel
# put in out/SUB, with these payloads and sequence numbers FIRSTSEQ, FIRSTSEQ+1, ...; then
# refuses a replay of the second and a re-sequenced, bit-flipped copy of the last.
expect_opened() {
	local n=$1 sub=$2 d=$3 first=$4 r=$W/rounds/$1
	shift 4
	local -a cfg payloads=("$@")
	read -r -a cfg <<<"$(round_cfg "$n")"
	tool_sa "$n" "${cfg[@]}" "$d"
	local files=("$r/out/$sub"/*.ip)
	[ -e "${files[0]}" ] && [ ${#files[@]} -eq $# ] ||
		{ note_fail "$n: $sub holds ${#files[@]} packets, want $#"; return; }
	local neg=$r/neg-$sub
	mkdir -p "$neg"
	cp "${files[1]}" "$neg/replay.ip"
	"$TOOL" mutate --seq $(((first + $#) & 0xffffffff)) --flip 17 "${files[$# - 1]}" \
		"$neg/flip.ip" || { note_fail "$n: mutate"; return; }
	local out rc
	out=$("$TOOL" open "${SA[@]}" --seq "$first" "${files[@]}" "$neg/replay.ip" "$neg/flip.ip")
	rc=$?
	echo "$out" >"$r/opened-$sub.txt"
	# NAME ok SEQ SPORT DPORT HEX; the kernel picks h1's port, h2's is 664
	local i=0 name st seq sport dport data port want_name
	while read -r name st seq sport dport data; do
		[ "$st" = ok ] || break
		port=$dport
		[ "$sub" = captured ] && port=$sport
		printf -v want_name '%03d.ip' $((i + 1))
		if [ "$name" != "$want_name" ] || [ "$seq" != $((first + i)) ] ||
			[ "$port" != 664 ] || [ "$data" != "$(hex "${payloads[$i]}")" ]; then
			note_fail "$n: $sub: our code opened [$name $st $seq $sport $dport $data], want seq $((first + i)) payload ${payloads[$i]}"
		fi
		i=$((i + 1))
	done <<<"$out"
	[ $i -eq $# ] || note_fail "$n: $sub: our code opened $i of $# kernel packets:"$'\n'"$out"
	[ $rc -eq 1 ] || note_fail "$n: $sub: our tool exit status $rc with a replay and a flipped packet, want 1"
	local nl=$'\n' outer=esp
	[[ "$nl$out$nl" == *"${nl}replay.ip fail replay$nl"* ]] ||
		note_fail "$n: $sub: our code did not refuse the replay:$nl$out"
	[[ "$nl$out$nl" == *"${nl}flip.ip fail bad_icv$nl"* ]] ||
		note_fail "$n: $sub: our code did not refuse the flipped packet:$nl$out"
	[ "${cfg[1]}" != - ] && outer=ah
	[[ "$nl$out$nl" == *"${nl}stats $outer ok=$# truncated=0 bad_padding=0 bad_icv=1 unknown_spi=0 replay=1 too_old=0$nl"* ]] ||
		note_fail "$n: $sub: our $outer counters, want ok=$# bad_icv=1 replay=1:$nl$out"
}

round_cfg() { # NAME: prints "ESP AH ESN" from the round table
	local want=$1 line
	for line in "${ROUNDS[@]}"; do
		set -- $line
		[ "$1" = "$want" ] && { echo "$2 $3 $4"; return; }
	done
}

write_rounds || { note_fail "our tool could not seal the packets"; exit 1; }
echo "host: packets sealed in $(($(date +%s) - T0))s"
uml_run_guest "$W" "$UML_DIR/guest-rounds.sh"
rc=$?
echo "guest rc=$rc, wall ${UML_WALL}s"
cat "$W/guest.out" 2>/dev/null
[ $rc -eq 0 ] || note_fail "guest script exit status $rc"

if [ $rc -eq 0 ]; then
	for line in "${ROUNDS[@]}"; do
		set -- $line
		n=$1
		seq_plan "$4"
		k=("kernel-$n-1" "kernel-$n-2" "kernel-$n-3")
		o=("ours-$n-1" "ours-$n-2" "ours-$n-3")
		expect_received "$n" "${k[@]}" "${o[@]}"
		proto=1
		[ "$2" = - ] && proto=2 # the misaligned AH packet too
		expect_delta "$n" "XfrmInStateSeqError 1" "XfrmInStateProtoError $proto"
		expect_opened "$n" sent 12 $((KO12 + 1)) "${k[@]}"
		expect_opened "$n" captured 21 $((KO21 + 1)) "${k[@]}" "${o[@]}"
	done
fi

echo "host: all checked at $(($(date +%s) - T0))s"
[ $failed -eq 0 ] || uml_dump_log
dir=$UML_DIR
uml_cleanup
uml_check_leftovers "" "" "$dir" || failed=1
T1=$(date +%s)
[ $failed -eq 0 ] &&
	echo "PASS: the kernel and our IPsec code agree on ESP-GCM-128/256, ESP-CBC, AH, AH align4, AH+ESP, ESN (guest ${UML_WALL}s, total $((T1 - T0))s)"
exit $failed

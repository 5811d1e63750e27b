#!/usr/bin/env bash
# Wireshark integration (docs/users/wireshark.md):
# (a) hand-built SA_READY / SA_ACK / SA_CONFIRM frames, in clear UDP 664 RMCP
#     and inside ESP AES-GCM (encrypted by scapy, not by our code), decode
#     with tshark and pcap/wireshark/rmcpsec_commit.lua to the exact values
#     that were put in; a bad length and an unknown type raise their expert
#     info; ordinary ASF messages still decode as ASF;
# (b) `rmcpsec wireshark TRACE --tshark` on a real run's trace decrypts the
#     ESP with the esp_sa beside the trace and lists the ASF messages inside,
#     and removes its temporary profile; ikev2_decryption_table is copied
#     into that profile as well.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
work_dir wireshark
lua=$src/pcap/wireshark/rmcpsec_commit.lua
mkdir -p "$work/clear" "$work/esp" "$work/tmp"
export TMPDIR=$work/tmp # where rmcpsec wireshark makes its profile

# Commit messages: RMCP (06 00 FF 06) + ASF header (IANA 32473, type, tag,
# reserved, length) + 16-byte body: inbound SPI, outbound SPI, txid, NVRAM
# generation, all big-endian (docs/internals/mechanism.md, the commit on the wire).
"$py" - "$work" <<'EOF'
import struct, sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
from scapy.layers.ipsec import SecurityAssociation, ESP

work = sys.argv[1]
NIC, SRV = "192.0.2.101", "192.0.2.1"

def asf(iana, mtype, body, length=None):
    length = len(body) if length is None else length
    return bytes([6, 0, 0xFF, 6]) + struct.pack("!IBBBB", iana, mtype, 0x21, 0, length) + body

def commit(mtype, inb, outb, txid, gen):
    return asf(32473, mtype, struct.pack("!IIII", inb, outb, txid, gen))

def udp(src, dst, payload):
    return IP(src=src, dst=dst) / UDP(sport=664, dport=664) / Raw(payload)

# The three messages of one commit as each side sees its own SPIs.
msgs = [
    (NIC, SRV, commit(1, 0x0A000001, 0x0B000002, 0xC0FFEE01, 7)),  # SA_READY
    (SRV, NIC, commit(2, 0x0B000002, 0x0A000001, 0xC0FFEE01, 7)),  # SA_ACK
    (NIC, SRV, commit(3, 0x0A000001, 0x0B000002, 0xC0FFEE01, 8)),  # SA_CONFIRM
]
clear = [udp(s, d, p) for s, d, p in msgs] + [
    udp(NIC, SRV, asf(32473, 3, b"\x00" * 12)),                     # length 12
    udp(NIC, SRV, asf(32473, 9, b"\x00" * 16)),                     # unknown type
    udp(SRV, NIC, asf(4542, 0x80, b"")),                            # Presence Ping
]
wrpcap(f"{work}/clear/trace.pcap", [Ether(src="02:00:00:00:01:01", dst="02:00:00:00:02:01") / p for p in clear])

# ESP AES-GCM-16 (RFC 4106): Wireshark's key is key || 4-byte salt, as scapy's.
sas = {
    (NIC, SRV): (0x5EED0001, bytes(range(16)) + b"\xa1\xa2\xa3\xa4"),
    (SRV, NIC): (0x5EED0002, bytes(range(16, 32)) + b"\xb1\xb2\xb3\xb4"),
}
esp = []
for s, d, p in msgs:
    spi, key = sas[(s, d)]
    sa = SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=key)
    esp.append(Ether(src="02:00:00:00:01:01", dst="02:00:00:00:02:01") / sa.encrypt(udp(s, d, p)))
wrpcap(f"{work}/esp/trace.pcap", esp)
with open(f"{work}/esp/esp_sa", "w") as f:
    for (s, d), (spi, key) in sas.items():
        f.write(f'"IPv4","{s}","{d}","0x{spi:08x}","AES-GCM with 16 octet ICV [RFC4106]",'
                f'"0x{key.hex()}","NULL",""\n')
EOF

# shellcheck disable=SC2054 # separator=, is one tshark argument
fields=(-T fields -E separator=, -e rmcpsec.commit.type -e rmcpsec.commit.inbound_spi
	-e rmcpsec.commit.outbound_spi -e rmcpsec.commit.txid -e rmcpsec.commit.gen)
want="1,0x0a000001,0x0b000002,0xc0ffee01,7
2,0x0b000002,0x0a000001,0xc0ffee01,7
3,0x0a000001,0x0b000002,0xc0ffee01,8"

# (a1) Clear frames, with the plain one-liner of docs/users/wireshark.md.
ts_clear() { tshark -n -r "$work/clear/trace.pcap" -d udp.port==664,rmcp -X "lua_script:$lua" "$@" 2>"$work/ts.err"; }
got=$(ts_clear -Y 'rmcpsec.commit.gen && !rmcpsec.commit.unknown_type' "${fields[@]}")
[ "$got" = "$want" ] || fail "clear commit fields: got
$got
want
$want"
echo "clear: SA_READY, SA_ACK, SA_CONFIRM decoded to the values put in"
[ "$(ts_clear -Y 'rmcpsec.commit.type == 2 && rmcpsec.commit.txid == 0xc0ffee01' | wc -l)" -eq 1 ] ||
	fail "filter on type and txid"
got=$(ts_clear -Y 'rmcpsec.commit.bad_length' -T fields -e frame.number)
[ "$got" = 4 ] || fail "bad_length expert on frames '$got', want 4"
got=$(ts_clear -Y 'rmcpsec.commit.unknown_type' -T fields -e frame.number)
[ "$got" = 5 ] || fail "unknown_type expert on frames '$got', want 5"
# The Presence Ping is ASF's own: no commit tree, ASF fields intact.
got=$(ts_clear -Y 'asf.type == 0x80 && !rmcpsec' -T fields -E separator=, -e frame.number -e asf.iana)
[ "$got" = "6,4542" ] || fail "Presence Ping: '$got'"
# The commit messages keep ASF's fields too (the dissector chains, not replaces).
[ "$(ts_clear -Y 'asf.iana == 32473' | wc -l)" -eq 5 ] || fail "asf.iana on commit messages"
! grep -qi 'lua' "$work/ts.err" || fail "Lua error: $(cat "$work/ts.err")"

# (a2) The same messages inside ESP, through rmcpsec wireshark and esp_sa.
ws_esp() { "$bin" wireshark "$work/esp/trace.pcap" --tshark -n "$@" 2>/dev/null; }
got=$(ws_esp -Y 'esp && rmcpsec.commit.gen' "${fields[@]}")
[ "$got" = "$want" ] || fail "ESP commit fields: got
$got
want
$want"
got=$(ws_esp -T fields -E separator=, -e esp.spi -e esp.icv_good)
[ "$got" = "0x5eed0001,1
0x5eed0002,1
0x5eed0001,1" ] && echo "esp: decrypted, ICVs good, commit fields decoded" ||
	fail "ESP SPIs/ICVs: $got"
# Without the key file nothing decodes: the check above is real.
mv "$work/esp/esp_sa" "$work/esp/esp_sa.off"
[ "$(ws_esp -Y rmcpsec | wc -l)" -eq 0 ] || fail "commit decoded inside ESP without keys"
mv "$work/esp/esp_sa.off" "$work/esp/esp_sa"
# ikev2_decryption_table beside the trace reaches the profile too: a
# malformed one makes tshark name the table.
echo '"not","a","valid","row"' >"$work/esp/ikev2_decryption_table"
"$bin" wireshark "$work/esp/trace.pcap" --tshark -c 1 >/dev/null 2>"$work/ike.err" || true
grep -q "IKEv2 Decryption Table" "$work/ike.err" || fail "ikev2_decryption_table not copied into the profile"
rm "$work/esp/ikev2_decryption_table"

# (b) A real run's trace: the ASF messages inside ESP decrypt with its esp_sa.
out=$work/run
"$bin" run "$src/scenarios/ipsec/esp-aes-gcm-128.yaml" --out "$out" >"$work/run.log" ||
	{ cat "$work/run.log"; fail "run"; }
"$bin" wireshark "$out/trace.pcap" --tshark -n -Y asf -T fields -E separator=, \
	-e esp.spi -e esp.icv_good -e asf.type >"$work/run.fields" 2>"$work/run.err" ||
	{ cat "$work/run.err"; fail "rmcpsec wireshark exited non-zero"; }
pings=$(grep -c '^0x[0-9a-f]*,1,0x80$' "$work/run.fields" || true)
pongs=$(grep -c '^0x[0-9a-f]*,1,0x40$' "$work/run.fields" || true)
echo "run: $(wc -l <"$work/run.fields") ASF messages, $pings Presence Pings and $pongs Pongs inside ESP"
[ "$pings" -ge 2 ] && [ "$pongs" -ge 2 ] || fail "decrypted Ping/Pong: $(cat "$work/run.fields")"
[ -z "$(ls -A "$work/tmp")" ] || fail "temporary profile left behind: $(ls "$work/tmp")"

# Usage errors exit 2 and leave nothing behind.
set +e
"$bin" wireshark 2>/dev/null; [ $? -eq 2 ] || fail "no trace: not exit 2"
"$bin" wireshark "$work/none.pcap" --tshark 2>/dev/null; [ $? -eq 2 ] || fail "missing trace: not exit 2"
RMCPSEC_LUA=$work/none.lua "$bin" wireshark "$out/trace.pcap" --tshark 2>/dev/null
[ $? -eq 2 ] || fail "missing RMCPSEC_LUA: not exit 2"
set -e
echo "wireshark: ok"

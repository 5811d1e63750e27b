#!/usr/bin/env bash
# rmcpsec's DUT mode against the UML client DUT (docs/testing/real-kernel.md):
# strongSwan's charon and the guest kernel's XFRM, a plain IPsec host reached only over
# its TAP, played as scenario client c1 (`commit: none`) by
#   rmcpsec run tests/dut/scenarios/uml-client.yaml --dut client --iface TAP
#       --dut-control "RMCPSEC_DUT_DIR=... tests/dut/uml-adapter.sh"
# run inside the guest's netns (the harness's server gets its own namespace + TAP and the
# forwarder reaches the guest's TAP through a packet socket). Checks:
#  - exit 0; results.json: REQ-F3-IKE-ON-OS-UP, the ESP management expectations and the
#    clear-port ones PASS, the adapter's state is the DUT's, the commit / NVRAM / power
#    requirements N/A with their reasons; no commit message on the wire;
#  - tshark decrypts the trace with the exported esp_sa: ESP both ways, every ICV good,
#    the ASF inside decoded (the guest's answers included);
#  - it can fail: the same scenario without `commit: none` (the server waits for an
#    SA_READY the guest never sends) fails REQ-F3-IKE-ON-OS-UP, nothing under ESP;
#  - uml-dut.sh stop leaves no netns, TAP or UML process behind.
# Needs root. Usage (ctest): bash uml_dut_run.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
DUT=$src/tests/dut
SCN=$DUT/scenarios/uml-client.yaml
STARTED=0
stop_guest() {
	[ $STARTED -eq 0 ] || bash "$DUT/uml-dut.sh" stop >/dev/null 2>&1
}
work_dir dut-run stop_guest
T=$work
export RMCPSEC_DUT_DIR=$T/dut
mkdir -p "$RMCPSEC_DUT_DIR"

[ "$(id -u)" = 0 ] || fail "the UML DUT needs root (netns, TAP)"
command -v tshark >/dev/null || fail "tshark missing"
"$py" "$DUT/dut_config.py" "$SCN" --node c1 >"$RMCPSEC_DUT_DIR/dut.json" || fail "dut_config"

bash "$DUT/uml-dut.sh" start >"$T/start.out" 2>"$T/start.err" || {
	cat "$T/start.err"
	fail "the guest did not come up"
}
STARTED=1
NETNS=$(sed -n 's/^netns=//p' "$T/start.out")
TAP=$(sed -n 's/^iface=//p' "$T/start.out")
[ -n "$NETNS" ] && [ -n "$TAP" ] || fail "uml-dut.sh start printed no netns/iface: $(cat "$T/start.out")"
ok "guest up: netns $NETNS, TAP $TAP"
ADAPTER="RMCPSEC_DUT_DIR=$RMCPSEC_DUT_DIR bash $DUT/uml-adapter.sh"

# --- the run
ip netns exec "$NETNS" "$bin" run "$SCN" --dut client --iface "$TAP" --dut-control "$ADAPTER" \
	--out "$T/run" >"$T/run.log" 2>&1
rc=$?
cat "$T/run.log"
[ $rc -eq 0 ] && ok "rmcpsec run --dut client: exit 0" || note_fail "rmcpsec run --dut client: exit $rc"

"$py" - "$T/run/results.json" <<'PY' || note_fail "results.json"
import json, sys
d = json.load(open(sys.argv[1]))
req = {r["id"]: r for r in d["requirements"]}
ex = {e["line"]: e for e in d["expectations"]}
bad = []
def want(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        bad.append(what)
want(d["net"].get("mode") == "tap", "tap mode: %s" % d["net"])
for k in ("REQ-F3-IKE-ON-OS-UP", "REQ-IPSEC-ICV", "REQ-NIC-CLEAR-664-REFUSED",
          "REQ-NIC-CLEAR-ONLY-CONFIGURED"):
    want(k in req and req[k]["verdict"] == "PASS" and req[k]["passed"] >= 1,
         "%s PASS (%s)" % (k, req.get(k, {}).get("observed", "absent")))
# every expectation passes, the ESP ones (via: secure, sa: 1 and 2) and in_sync included
want(len(ex) >= 8 and all(e["verdict"] == "PASS" for e in ex.values()),
     "%d expectations PASS: %s" % (len(ex), [(l, e["verdict"]) for l, e in sorted(ex.items())]))
want(any("(DUT)" in e["what"] or "DUT" in e.get("observed", "") for e in ex.values()) or
     any(n.get("dut") and n.get("adapter_state") for n in d["nodes"]),
     "the DUT's own state was read through the adapter")
for k in ("REQ-F6-R2-REFRESH-COMMIT", "REQ-COMMIT-ORDER", "REQ-COMMIT-SHARED-SA",
          "REQ-F5-RESTORE-NO-ACK", "REQ-NVRAM-ATOMIC", "REQ-F6-R3-STORED-SA",
          "REQ-MGMT-EXECUTED"):
    r = req.get(k, {})
    want(r.get("verdict") == "N/A" and len(r.get("observed", "")) > 10,
         "%s N/A: %s" % (k, r.get("observed")))
sys.exit(1 if bad else 0)
PY

# --- the trace, decrypted by tshark with the exported keys only
R=$T/run
mkdir -p "$R/cfg/wireshark"
cp "$R/esp_sa" "$R/cfg/wireshark/" 2>/dev/null || note_fail "no esp_sa exported"
[ -f "$R/ikev2_decryption_table" ] && cp "$R/ikev2_decryption_table" "$R/cfg/wireshark/"
ts() { HOME=$R XDG_CONFIG_HOME=$R/cfg tshark -n -r "$R/trace.pcap" \
	-o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
	-d udp.port==664,rmcp "$@" 2>/dev/null; }
good=$(ts -Y esp.icv_good==1 -T fields -e frame.number | wc -l)
bad=$(ts -Y esp.icv_bad==1 -T fields -e frame.number | wc -l)
esp=$(ts -Y esp -T fields -e frame.number | wc -l)
guest=$(ts -Y "esp.icv_good==1 && ip.src==192.0.2.101 && asf" -T fields -e frame.number | wc -l)
spis=$(ts -Y esp -T fields -e esp.spi | sort -u | wc -l)
[ "$esp" -ge 10 ] && [ "$good" -eq "$esp" ] && [ "$bad" -eq 0 ] && [ "$guest" -ge 4 ] &&
	ok "tshark: $esp ESP frames, ICV good $good, bad $bad; $guest ASF answers of the guest decoded" ||
	note_fail "tshark: ESP $esp, ICV good $good, bad $bad, guest ASF $guest"
[ "$spis" -ge 4 ] && ok "tshark: $spis SPIs (at least two CHILD_SAs, both directions)" ||
	note_fail "tshark: $spis SPIs, want two CHILD_SAs both ways"

# --- it can fail: without `commit: none` the server waits for SA_READY and manages nothing
sed '/commit: none/d' "$SCN" >"$T/with-commit.yaml"
ip netns exec "$NETNS" "$bin" run "$T/with-commit.yaml" --dut client --iface "$TAP" \
	--dut-control "$ADAPTER" --out "$T/neg" >"$T/neg.log" 2>&1
rc=$?
"$py" - "$T/neg/results.json" <<'PY' && [ $rc -eq 1 ] &&
import json, sys
d = json.load(open(sys.argv[1]))
req = {r["id"]: r for r in d["requirements"]}
sys.exit(0 if req["REQ-F3-IKE-ON-OS-UP"]["verdict"] == "FAIL" else 1)
PY
	ok "without commit: none: exit 1, REQ-F3-IKE-ON-OS-UP FAIL" ||
	{ cat "$T/neg.log"; note_fail "without commit: none the run did not note_fail (exit $rc)"; }
grep -q "warning: c1 expects the commit handshake" "$T/neg.log" &&
	ok "the adapter warned that the guest has no commit handshake" ||
	note_fail "no adapter warning about the commit handshake"

# --- nothing left behind
bash "$DUT/uml-dut.sh" stop >"$T/stop.out" 2>&1 && ok "uml-dut.sh stop" || note_fail "uml-dut.sh stop: $(cat "$T/stop.out")"
STARTED=0
ip netns list | grep -q "^$NETNS\b" && note_fail "netns $NETNS left"
ip -o link show "$TAP" >/dev/null 2>&1 && note_fail "TAP $TAP left"
for d in "$T/run" "$T/neg"; do
	for ns in $("$py" -c 'import json,sys; print(" ".join(l["netns"] for l in json.load(open(sys.argv[1]))["net"]["links"] if l["netns"]))' "$d/results.json" 2>/dev/null); do
		ip netns list | grep -q "^$ns\b" && note_fail "the harness's namespace $ns is left"
	done
done
grep -q "ESP:AES_GCM_16_128" "$RMCPSEC_DUT_DIR/charon/charon.log" 2>/dev/null &&
	ok "charon: ESP AES_GCM_16_128 CHILD_SAs" || note_fail "charon's log shows no ESP CHILD_SA"

[ $failed -eq 0 ] && echo "uml_dut_run: the UML guest as client DUT: IKE and ESP PASS, commit/NVRAM/power N/A"
exit $failed

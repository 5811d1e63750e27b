#!/usr/bin/env bash
# DUT mode (docs/users/dut.md) against a foreign device: rmcpsec's reference client as a
# separate process (`rmcpsec node client --tap`) holding a TAP device's descriptor, as a VM
# does, the harness on the TAP's link; the reference server as a process in a namespace of
# its own behind a veth pair; both driven through examples/dut/node_adapter.py and their
# JSON-lines control sockets.
# - `rmcpsec suite DIR --dut client --iface IF --dut-control CMD` passes: the device's
#   end state (power, SA, commits, commands executed) comes from the adapter, the rest
#   from the wire, and the verdicts are the virtual-time ones;
# - the adversarial scenarios (forged, replayed, damaged frames; lying IKE peers, posing as the
#   server to the client device and as the client's host to the server device) give the
#   virtual-time verdicts against either device;
# - a device configured wrongly (another seed: another PSK) fails, with a replay line;
# - a device that cannot take power events (adapter exit 3) gives N/A, not PASS;
# - the control socket answers state and rejects a bad request without dying;
# - nothing is left: namespace, links, node process.
# Needs root. Usage (ctest): bash dut.sh RMCPSEC_BINARY SOURCE_DIR
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
e2e_args "$@"
need_root "DUT mode over veth needs root"
ns=rmsdut-$$
host=rmsdh$$
dev=rmsdd$$
tap=rmsdt$$
remove_links() {
	[ ! -f "$work/node.pid" ] || kill "$(cat "$work/node.pid")" 2>/dev/null
	netns_del "$ns"
	ip link del "$host" 2>/dev/null
	ip link del "$tap" 2>/dev/null
}
work_dir dut remove_links

ip netns add "$ns" || fail "cannot create namespace $ns"
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip link add "$host" type veth peer name "$dev" || fail "cannot create veth $host"
ip link set "$dev" netns "$ns"
sysctl -qw "net.ipv6.conf.$host.disable_ipv6=1"
ip link set "$host" up || fail "$host does not come up"
ip -n "$ns" link set "$dev" up || fail "$dev does not come up"
ip tuntap add dev "$tap" mode tap || fail "cannot create TAP $tap"
sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1"
ip link set "$tap" up || fail "TAP does not come up"

# the client device: a process on the far side of the TAP, the harness on its link
export RMCPSEC_NODE_BIN=$bin RMCPSEC_NODE_TAP=$tap RMCPSEC_NODE_DIR=$work
adapter="$py $src/examples/dut/node_adapter.py"

suite=$work/suite
mkdir -p "$suite"
for f in ipsec/esp-aes-gcm-128 commit/duplicate-command fig6/row3-os-hung fig6/row6-client-cold-boot; do
	cp "$src/scenarios/$f.yaml" "$suite/" || fail "missing $f"
done

"$bin" suite "$suite" --out "$work/virtual" >"$work/virtual.log" 2>&1 ||
	{ cat "$work/virtual.log"; fail "the subset does not pass in virtual time"; }
"$bin" suite "$suite" --dut client --iface "$tap" --dut-control "$adapter" \
	--out "$work/dut" >"$work/dut.log" 2>&1 ||
	{ cat "$work/dut.log" "$work/node.log"; fail "the reference client as a DUT does not pass"; }
grep -q "4 scenarios: 4 passed, 0 failed" "$work/dut.log" || { cat "$work/dut.log"; fail "not 4 passed"; }

# Same verdict per expectation as in virtual time: WANT scenarios, at least LEAST checks
# judged from the device's own state.
compare() {
	"$py" - "$@" <<'EOF'
import json, os, sys
virt, dut, want, least = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
bad = n = dut_checks = 0
for name in sorted(os.listdir(virt)):
    p = os.path.join(virt, name, "results.json")
    if not os.path.exists(p):
        continue
    v = json.load(open(p)); d = json.load(open(os.path.join(dut, name, "results.json")))
    n += 1
    ev = [(e["line"], e["verdict"]) for e in v["expectations"]]
    ed = [(e["line"], e["verdict"]) for e in d["expectations"]]
    if ev != ed:
        print(f"{name}: virtual {ev} DUT {ed}"); bad += 1
    duts = [x for x in d["nodes"] if x.get("dut")]
    if len(duts) != 1 or not duts[0]["adapter_state"]:
        print(f"{name}: no DUT node with an adapter state"); bad += 1
    dut_checks += sum("(DUT)" in e["what"] for e in d["expectations"])
print(f"{n} scenarios, {dut_checks} checks judged from the DUT's own state")
sys.exit(1 if bad or n != want or dut_checks < least else 0)
EOF
}
compare "$work/virtual" "$work/dut" 4 4 || fail "DUT and virtual runs differ"

# The adversarial scenarios against the device: the harness is the adversary (forged,
# replayed and damaged frames, clear traffic to 664, lying IKE peers), so they play against
# any device, with the verdicts of virtual time.
adv=$work/adv
mkdir -p "$adv"
for f in pending-sa-command icv-before-replay unknown-spi clear-664-bare damaged-esp-aes-gcm-128 \
	ike-lying-initiator; do
	cp "$src/scenarios/adversary/$f.yaml" "$adv/" || fail "missing adversary/$f"
done
"$bin" suite "$adv" --out "$work/adv-virtual" >"$work/adv-virtual.log" 2>&1 ||
	{ cat "$work/adv-virtual.log"; fail "the adversarial subset does not pass in virtual time"; }
"$bin" suite "$adv" --dut client --iface "$tap" --dut-control "$adapter" \
	--out "$work/adv-dut" >"$work/adv-dut.log" 2>&1 ||
	{ cat "$work/adv-dut.log" "$work/node.log"; fail "the adversarial subset fails the reference client as a DUT"; }
compare "$work/adv-virtual" "$work/adv-dut" 6 6 || fail "adversarial DUT and virtual runs differ"

# A wrongly configured device (another seed, so another PSK and SA) fails.
cat >"$work/wrong.sh" <<EOF
#!/bin/bash
[ "\$1" = begin ] && set -- begin "\$2" "\$3" \$((\$4 + 1)) "\$5"
exec $adapter "\$@"
EOF
"$bin" run "$suite/esp-aes-gcm-128.yaml" --dut client --iface "$tap" \
	--dut-control "bash $work/wrong.sh" --out "$work/wrong" >"$work/wrong.log" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$work/wrong.log"; fail "a wrongly keyed DUT: exit $rc, want 1"; }
grep -q "^replay: rmcpsec run .* --dut client --dut-node c1 --iface $tap" "$work/wrong.log" || fail "no replay line"

# A device that cannot take power events: N/A, explicitly, never PASS.
cat >"$work/nopower.sh" <<EOF
#!/bin/bash
[ "\$1" = power ] && { echo "no power control" >&2; exit 3; }
exec $adapter "\$@"
EOF
"$bin" run "$suite/row3-os-hung.yaml" --dut client --iface "$tap" \
	--dut-control "bash $work/nopower.sh" --out "$work/nopower" >"$work/nopower.log" 2>&1
grep -q "N/A .*cannot do 'power os_hang'" "$work/nopower.log" ||
	{ cat "$work/nopower.log"; fail "unsupported power event not reported N/A"; }
! grep -q "^  PASS" "$work/nopower.log" || fail "a scenario the DUT could not play passed a check"

# The same with the reference server as the device, in its namespace behind a veth pair.
ssuite=$work/ssuite
mkdir -p "$ssuite"
cp "$src/scenarios/ipsec/esp-aes-gcm-128.yaml" "$src/scenarios/fig6/row3-os-hung.yaml" \
	"$src/scenarios/adversary/ike-lying-responder.yaml" "$ssuite/"
"$bin" suite "$ssuite" --out "$work/svirtual" >"$work/svirtual.log" 2>&1 || fail "server subset, virtual"
RMCPSEC_NODE_TAP="" RMCPSEC_NODE_NETNS=$ns RMCPSEC_NODE_IFACE=$dev \
	"$bin" suite "$ssuite" --dut server --iface "$host" --dut-control "$adapter" \
	--out "$work/sdut" >"$work/sdut.log" 2>&1 ||
	{ cat "$work/sdut.log" "$work/node.log"; fail "the reference server as a DUT does not pass"; }
compare "$work/svirtual" "$work/sdut" 3 1 || fail "DUT server and virtual runs differ"

# The control socket: state, a bad request answered, then stop.
RMCPSEC_DUT_ROLE=client $adapter begin "$suite/row3-os-hung.yaml" c1 3 robust || fail "adapter begin"
"$py" - "$work/ctl.sock" <<'EOF' || fail "control socket"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
def ask(line):
    f.write(line + "\n"); f.flush(); return json.loads(f.readline())
st = ask('{"cmd": "state"}')
assert st["ok"] and st["role"] == "client" and st["power"] == "os_up", st
bad = ask("not json")
assert not bad["ok"] and "JSON" in bad["error"], bad
unk = ask('{"cmd": "fly"}')
assert not unk["ok"], unk
pw = ask('{"cmd": "power", "event": "os_hang"}')
assert pw["ok"] and pw["accepted"], pw
assert ask('{"cmd": "state"}')["power"] == "os_hung"
print("control socket: state, errors, power answered")
EOF
pid=$(cat "$work/node.pid")
$adapter end || fail "adapter end"
! kill -0 "$pid" 2>/dev/null || fail "the node process did not stop"
[ ! -e "$work/ctl.sock" ] || fail "the control socket file was left"
! process_alive "$work" || fail "a process of the test is still there"
link_exists "$tap" || fail "the persistent TAP went with the node (it must stay)"
echo "dut: reference client over a TAP and server over veth as DUTs: verdicts as virtual, wrong keys fail, N/A when it cannot"

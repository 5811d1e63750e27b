# shellcheck shell=bash
# The UML client DUT (docs/testing/real-kernel.md), guest side: the scenario client's address on
# vec0, strongSwan's charon as the host's IKEv2 responder on the kernel's XFRM (transport
# mode, UDP 664 both sides, rmcpsec's initiator proposals), XFRM block policies that
# refuse UDP 664 in the clear, and tests/uml/rmcp_responder.py answering RMCP/ASF.
# Configuration: UMLWORK/dut.json (rmcpsec dut-config). Writes UMLWORK/ready once all is
# up, UMLWORK/state.json (the responder's state), runs until UMLWORK/stop exists (or the
# uml.sh timeout); then leaves charon/charon.log, xfrm_state.txt, xfrm_policy.txt,
# xfrm_stat.txt, sas.txt and responder.log in UMLWORK.
. "$UMLSRC/guest-lib.sh"
. "$UMLSRC/charon.sh"
trap ch_stop_all EXIT
W=$UMLWORK
rm -f "$W/ready" "$W/state.json" "$W/state.req"
# One Python start (slow under UML) turns the JSON into shell assignments.
vars=$($G_PY - "$W/dut.json" <<'PY'
import json, shlex, sys
c = json.load(open(sys.argv[1]))
esp = {"esp-aes-gcm-128": ("esp", "aes128gcm16"), "esp-aes-gcm-256": ("esp", "aes256gcm16"),
       "esp-aes-cbc-hmac-sha256": ("esp", "aes128-sha256"), "ah-hmac-sha256": ("ah", "sha256")}
kind, prop = esp.get(c.get("suite"), ("", ""))
v = {"D_IP": c["ip"], "D_MAC": c["mac"], "D_PSK": c.get("psk_hex") or "",
     "D_KEX": c.get("key_exchange", ""), "D_PROTO": kind, "D_PROP": prop,
     "D_SERVERS": " ".join(s["ip"] for s in c.get("servers", []))}
print("\n".join("%s=%s" % (k, shlex.quote(str(x))) for k, x in v.items()))
PY
) || { g_fail "cannot read $W/dut.json"; exit 1; }
eval "$vars"
[ "$D_KEX" = ike ] && [ -n "$D_PROP" ] && [ -n "$D_PSK" ] ||
	{ g_fail "this DUT needs key_exchange ike and an ESP or AH suite (got '$D_KEX')"; exit 1; }

# The link: the client's MAC and address; brought up (with a host route to every
# server) once charon runs, when IPv6 is there to be switched off: no IPv6 chatter.
ip link set vec0 address "$D_MAC" || exit 1
ip addr add "$D_IP/32" dev vec0 || exit 1

# UDP 664 never in the clear: block policies below every policy charon installs (a larger
# priority number loses); an installed CHILD_SA's policies take precedence over them.
ip xfrm policy add dir in src 0.0.0.0/0 dst "$D_IP/32" proto udp dport 664 priority 1000000 action block &&
	ip xfrm policy add dir out src "$D_IP/32" dst 0.0.0.0/0 proto udp sport 664 priority 1000000 action block ||
	{ g_fail "block policies"; exit 1; }

# charon: responder only (rmcpsec's server initiates), rmcpsec's IKE proposal
# (ENCR_AES_GCM_16-128, PRF_HMAC_SHA2_256, Curve25519), transport mode, TS UDP 664 on
# both sides, no lifetimes (the server refreshes), a new IKE SA replaces the old one.
C=$W/charon
mkdir -p "$C/run"
cat >"$C/strongswan.conf" <<CONF
swanctl {
  load = pem pkcs1 x509 openssl random
}
charon {
  load = $CH_PLUGINS
  install_routes = no
  install_virtual_ip = no
  retransmit_timeout = 2.0
  retransmit_tries = 2
  filelog {
    log {
      path = $C/charon.log
      flush_line = yes
      time_format = %T
      default = 1
      ike = 2
      knl = 2
    }
  }
  plugins {
    socket-default {
      use_ipv6 = no
    }
    vici {
      socket = unix://$C/charon.vici
    }
  }
}
CONF
servers=$(echo "$D_SERVERS" | tr ' ' ',')
cat >"$C/swanctl.conf" <<CONF
connections {
  dut {
    version = 2
    local_addrs = $D_IP
    remote_addrs = ${servers:-%any}
    proposals = aes128gcm16-prfsha256-x25519
    rekey_time = 0
    mobike = no
    unique = replace
    local {
      auth = psk
      id = $D_IP
    }
    remote {
      auth = psk
      id = %any
    }
    children {
      rmcp {
        mode = transport
        local_ts = dynamic[udp/664]
        remote_ts = dynamic[udp/664]
        ${D_PROTO}_proposals = $D_PROP
        rekey_time = 0
        life_time = 0
      }
    }
  }
}
# No IDs on the secret: rmcpsec's initiator sends no IDr, so charon looks the key up
# for (%any, server) and an ID-bound secret would not match.
secrets {
  ike-dut {
    secret = 0x$D_PSK
  }
}
CONF
ch_start "" "$C" && ch_load "$C" >"$C/load.txt" 2>&1 || { cat "$C/load.txt" >&2; exit 1; }
[ ! -d /proc/sys/net/ipv6 ] || sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.vec0.disable_ipv6=1
# vec0 (UML's vector driver, tap transport with virtio_net_hdr) leaves UDP checksums to
# the host: a clear UDP datagram (IKE) crosses the TAP with only the pseudo-header sum,
# which the host's stack accepts (CHECKSUM_PARTIAL) but a packet socket on the TAP, as
# rmcpsec's forwarder uses, sees unfinished. act_csum computes them in the guest. ESP
# needs nothing: XFRM checksums the inner datagram before it encrypts.
tc qdisc add dev vec0 clsact && tc filter add dev vec0 egress matchall action csum udp ||
	{ g_fail "cannot make vec0 checksum UDP (tc clsact/matchall/csum)"; exit 1; }
ip link set vec0 up || exit 1
for s in $D_SERVERS; do ip route add "$s/32" dev vec0 src "$D_IP" || exit 1; done

$G_PY "$UMLSRC/rmcp_responder.py" --config "$W/dut.json" --state "$W/state.json" \
	--req "$W/state.req" --stop "$W/stop" --ready "$W/ready" --log "$W/responder.log" \
	--timeout "${DUT_TIMEOUT:-3600}" &
rpid=$!
wait "$rpid"
rc=$?
ip -s xfrm state >"$W/xfrm_state.txt"
ip xfrm policy >"$W/xfrm_policy.txt"
cat /proc/net/xfrm_stat >"$W/xfrm_stat.txt"
ch_list "$C" >"$W/sas.txt" 2>&1
exit $rc

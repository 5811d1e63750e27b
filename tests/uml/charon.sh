# shellcheck shell=bash
# strongSwan's charon inside a UML guest (docs/testing/real-kernel.md), on the guest kernel's XFRM through
# kernel-netlink: IKEv2, PSK, transport mode, a CHILD_SA for UDP 664 only (the patent's
# policy). Source from a guest script after guest-lib.sh. One folder per instance holds
# its strongswan.conf, swanctl.conf, log, vici socket and private /run (two charons on
# one machine otherwise collide on /run/charon.pid).
#
#   ch_conf DIR LOCAL REMOTE ROLE [PSK]   ROLE: initiator (TS udp -> udp/664) | responder
#                                         CH_ESP_PROPOSALS (aes128gcm16-x25519: PFS on rekey;
#                                         aes128gcm16: none), CH_IKE_PROPOSALS likewise
#   ch_start NS DIR                       charon in netns NS ("" = the guest's root
#                                         namespace); returns when vici answers
#   ch_load DIR                           swanctl --load-all
#   ch_initiate DIR | ch_rekey DIR        CHILD_SA "rmcp" of connection "rmcp"
#   ch_child_spis DIR                     "in out" SPIs of the installed CHILD_SA(s)
#   ch_stop_all                           ends every charon this script started (by pid)

CH_PIDS=()
CH_PLUGINS="random nonce kdf aes sha1 sha2 hmac gcm openssl pem pkcs1 x509 kernel-netlink socket-default vici updown"

ch_conf() {
	local d=$1 me=$2 peer=$3 role=$4 psk=${5:-a-test-only-psk} lts rts
	mkdir -p "$d/run"
	# The responder's side of the traffic selector is UDP port 664, the initiator's any
	# UDP port: one CHILD_SA covers the request and the answer.
	if [ "$role" = initiator ]; then lts="dynamic[udp]" rts="dynamic[udp/664]"; else lts="dynamic[udp/664]" rts="dynamic[udp]"; fi
	cat >"$d/strongswan.conf" <<-CONF
		swanctl {
		  load = pem pkcs1 x509 openssl random
		}
		charon {
		  load = $CH_PLUGINS
		  install_routes = no
		  install_virtual_ip = no
		  retransmit_timeout = 2.0
		  filelog {
		    log {
		      path = $d/charon.log
		      flush_line = yes
		      time_format = %T
		      default = 1
		      ike = 2
		      knl = 2
		    }
		  }
		  plugins {
		    vici {
		      socket = unix://$d/charon.vici
		    }
		  }
		}
	CONF
	cat >"$d/swanctl.conf" <<-CONF
		connections {
		  rmcp {
		    version = 2
		    local_addrs = $me
		    remote_addrs = $peer
		    proposals = ${CH_IKE_PROPOSALS:-aes128gcm16-prfsha256-x25519}
		    rekey_time = 0
		    # IKE stays on UDP 500 (no move to 4500): simpler for a peer without MOBIKE.
		    mobike = no
		    local {
		      auth = psk
		      id = $me
		    }
		    remote {
		      auth = psk
		      id = $peer
		    }
		    children {
		      rmcp {
		        mode = transport
		        local_ts = $lts
		        remote_ts = $rts
		        esp_proposals = ${CH_ESP_PROPOSALS:-aes128gcm16-x25519}
		        rekey_time = 0
		        life_time = 0
		      }
		    }
		  }
		}
		secrets {
		  ike-rmcp {
		    id-a = $me
		    id-b = $peer
		    secret = "$psk"
		  }
		}
	CONF
}

ch_uri() { echo "unix://$1/charon.vici"; }

ch_start() {
	local ns=$1 d=$2 in_ns=()
	[ -z "$ns" ] || in_ns=(ip netns exec "$ns")
	STRONGSWAN_CONF=$d/strongswan.conf "${in_ns[@]}" unshare -m \
		sh -c "mount --bind '$d/run' /run && exec /usr/lib/ipsec/charon" >"$d/charon.stdout" 2>&1 &
	CH_PIDS+=($!)
	# charon has no readiness signal; its vici socket appearing is the condition.
	for _ in $(seq 200); do
		[ -S "$d/charon.vici" ] && ch_swanctl "$d" --stats >/dev/null 2>&1 && return 0
		kill -0 "${CH_PIDS[-1]}" 2>/dev/null || break
		sleep 0.1
	done
	g_fail "charon in ${ns:-the root namespace} did not come up"
	cat "$d/charon.stdout" "$d/charon.log" >&2 2>/dev/null
	return 1
}

ch_swanctl() { # DIR ARGS...: swanctl against this instance, reading its strongswan.conf
	local d=$1
	shift
	STRONGSWAN_CONF=$d/strongswan.conf swanctl "$@" --uri "$(ch_uri "$d")"
}
ch_load() { ch_swanctl "$1" --load-all --file "$1/swanctl.conf"; }
ch_initiate() { ch_swanctl "$1" --initiate --child rmcp --timeout 30; }
ch_rekey() { ch_swanctl "$1" --rekey --child rmcp; }
ch_list() { ch_swanctl "$1" --list-sas; }

# ch_child_spis DIR: one "SPI_IN SPI_OUT" line per CHILD_SA (hex, as swanctl prints them).
ch_child_spis() {
	ch_list "$1" | awk '$1 == "in" { i = $2 } $1 == "out" { print i, $2 }' | tr -d ','
}

ch_stop_all() {
	local pid
	for pid in "${CH_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${CH_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	CH_PIDS=()
}

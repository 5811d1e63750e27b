#!/bin/bash
# A User-mode Linux guest as a foreign client DUT for `rmcpsec suite --dut client`
# (docs/testing/real-kernel.md). The guest runs tests/uml/guest/dut-client.sh: charon + the kernel's
# XFRM as the client host's IPsec stack, an RMCP responder. Host side:
#
#   RMCPSEC_DUT_DIR=DIR uml-dut.sh start   DIR/dut.json (rmcpsec dut-config) must exist;
#                                          boots the guest behind a fresh netns + TAP,
#                                          returns once charon and the responder are up,
#                                          prints "netns=NAME" and "iface=TAP" (also in
#                                          DIR/link.env as NETNS=, TAP=)
#   RMCPSEC_DUT_DIR=DIR uml-dut.sh stop    ends the guest, removes netns, TAP, processes
#
# DIR is shared with the guest (hostfs): state.json, state.req, stop, ready, the logs.
# The TAP is up and unaddressed in the netns; whoever drives it (rmcpsec on AF_PACKET,
# or a test) configures the host side. Environment: UMLDUT_TIMEOUT (guest lifetime,
# default 1800 s), UMLDUT_START_TIMEOUT (default 300 s), UML_KEEP (uml.sh).
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
DIR=${RMCPSEC_DUT_DIR:-}

die() {
	echo "uml-dut: $*" >&2
	exit 1
}

alive() { [ -f "$DIR/supervisor.pid" ] && kill -0 "$(cat "$DIR/supervisor.pid")" 2>/dev/null; }

# The supervisor: owns the netns, TAP and UML tree; uml.sh's cleanup runs on its exit
# (guest gone, timeout, SIGTERM from `stop`).
supervise() {
	. "$SRC/tests/uml/uml.sh"
	# shellcheck disable=SC2034 # read by uml.sh
	UML_TIMEOUT=${UMLDUT_TIMEOUT:-1800}
	# tc's clsact + matchall + csum: the guest fills in its UDP checksums itself (dut-client.sh)
	UML_MODULES="$UML_MODULES sch_ingress cls_matchall act_csum"
	uml_init || exit 1
	trap 'rc=$?; uml_cleanup; echo $rc >"$DIR/supervisor.rc"' EXIT
	uml_tap_create || exit 1
	ip netns exec "$UML_NETNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$UML_NETNS" link set "$UML_TAP" up || exit 1
	printf 'NETNS=%s\nTAP=%s\nUMLDIR=%s\nRAMDIR=%s\n' "$UML_NETNS" "$UML_TAP" "$UML_DIR" \
		"$UML_RAMDIR" >"$DIR/link.env"
	uml_run_guest "$DIR" "$SRC/tests/uml/guest/dut-client.sh"
	rc=$?
	[ $rc -eq 0 ] || uml_dump_log
	exit $rc
}

start() {
	[ -f "$DIR/dut.json" ] || die "no $DIR/dut.json (rmcpsec dut-config SCENARIO --node NAME)"
	alive && die "a guest already runs for $DIR"
	rm -f "$DIR/ready" "$DIR/stop" "$DIR/link.env" "$DIR/supervisor.rc" "$DIR/state.json"
	setsid bash "${BASH_SOURCE[0]}" _supervise </dev/null >"$DIR/supervisor.log" 2>&1 &
	echo $! >"$DIR/supervisor.pid"
	# The guest writes DIR/ready (hostfs) once charon and the responder are up; the host
	# has no notification for that, so the condition is polled, with a deadline.
	local deadline=$((SECONDS + ${UMLDUT_START_TIMEOUT:-300}))
	while [ ! -f "$DIR/ready" ]; do
		if ! alive || [ $SECONDS -ge $deadline ]; then
			echo "uml-dut: the guest did not come up" >&2
			tail -n 40 "$DIR/supervisor.log" "$DIR/guest.out" >&2 2>/dev/null
			stop
			exit 1
		fi
		sleep 0.2
	done
	. "$DIR/link.env"
	echo "netns=$NETNS"
	echo "iface=$TAP"
}

# wait_gone PID SECONDS: until PID has exited (it is not our child: polled).
wait_gone() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

stop() {
	local pid bad=0 NETNS="" TAP="" UMLDIR="" RAMDIR="" d
	touch "$DIR/stop"
	if [ -f "$DIR/supervisor.pid" ]; then
		pid=$(cat "$DIR/supervisor.pid")
		# the guest powers off on its own once it sees DIR/stop; then the supervisor
		# cleans up; SIGTERM (its trap cleans up too) and SIGKILL are the fallbacks
		wait_gone "$pid" 60 || { kill -TERM "$pid" 2>/dev/null; wait_gone "$pid" 20; } ||
			{ kill -KILL "$pid" 2>/dev/null; wait_gone "$pid" 5; }
		rm -f "$DIR/supervisor.pid"
	fi
	[ -f "$DIR/link.env" ] && . "$DIR/link.env"
	if [ -n "$NETNS" ] && ip netns list | grep -qw "$NETNS"; then
		echo "uml-dut: removing leftover netns $NETNS" >&2
		ip netns pids "$NETNS" 2>/dev/null | xargs -r kill -KILL
		ip netns del "$NETNS"
		bad=1
	fi
	if pgrep -f "UMLWORK=$DIR " >/dev/null; then
		echo "uml-dut: leftover linux.uml for $DIR" >&2
		bad=1
	fi
	# a supervisor killed with SIGKILL ran no trap: its scratch folders are ours to remove
	for d in "$UMLDIR" "$RAMDIR"; do
		case $d in /tmp/rmcpsec-uml.* | /dev/shm/rmcpsec-uml.*) ;; *) continue ;; esac
		[ -e "$d" ] || continue
		echo "uml-dut: removing leftover $d" >&2
		rm -rf "$d"
		bad=1
	done
	return $bad
}

[ -n "$DIR" ] && [ -d "$DIR" ] || die "RMCPSEC_DUT_DIR must name an existing folder"
DIR=$(cd "$DIR" && pwd)
case ${1:-} in
start) start ;;
stop) stop ;;
_supervise) supervise ;;
*) die "usage: RMCPSEC_DUT_DIR=DIR $0 start|stop" ;;
esac

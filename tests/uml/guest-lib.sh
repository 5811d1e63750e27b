# shellcheck shell=bash
# Guest-side helpers, sourced by guest scripts that uml_run_guest runs inside UML.
# UMLSRC (this folder) and UMLWORK (the run's folder) come from the kernel command line.
# Everything runs as root inside the guest, on the host's files: write only below UMLWORK.

G_PY=/usr/bin/python3
G_PKT="$UMLSRC/pkt.py"
G_H1=192.0.2.1
G_H2=192.0.2.2
G_H1_MAC=02:00:00:00:00:01
G_H2_MAC=02:00:00:00:00:02
G_BG_PIDS=()

g_fail() { echo "guest: FAIL: $*" >&2; return 1; }

# Two namespaces h1 (192.0.2.1, veth v1) and h2 (192.0.2.2, veth v2), fixed MACs and
# static neighbours so that injected frames need no ARP.
g_pair() {
	ip netns add h1 && ip netns add h2 || return 1
	ip link add v1 netns h1 address $G_H1_MAC type veth peer name v2 netns h2 address $G_H2_MAC || return 1
	ip -n h1 link set lo up && ip -n h2 link set lo up
	ip -n h1 addr add $G_H1/24 dev v1 && ip -n h2 addr add $G_H2/24 dev v2
	ip -n h1 link set v1 up && ip -n h2 link set v2 up
	ip -n h1 neigh replace $G_H2 lladdr $G_H2_MAC dev v1 nud permanent
	ip -n h2 neigh replace $G_H1 lladdr $G_H1_MAC dev v2 nud permanent
}

# Each line of FILE (blank lines and # comments skipped) is the argument list of one
# `ip -n NS xfrm` command, e.g. "state add src 192.0.2.1 dst 192.0.2.2 proto esp ...".
# NS "" means the guest's root namespace.
g_xfrm_apply() {
	local ns=${1:+-n $1} file=$2 line
	while IFS= read -r line || [ -n "$line" ]; do
		case $line in '' | '#'*) continue ;; esac
		# the line is an argument list by contract, quotes included
		eval "ip $ns xfrm $line" || { g_fail "ip $ns xfrm $line"; return 1; }
	done <"$file"
}

g_xfrm_flush() {
	ip -n "$1" xfrm policy flush && ip -n "$1" xfrm state flush
}

g_stat() { ip netns exec "$1" cat /proc/net/xfrm_stat; }

# g_stat_delta BEFORE AFTER: "Name delta" for every counter that changed.
g_stat_delta() {
	awk 'NR == FNR { b[$1] = $2; next } $2 != b[$1] { print $1, $2 - b[$1] }' "$1" "$2"
}

# g_bg_ready NS READYNAME CMD...: starts CMD in NS in the background, with --ready FIFO
# appended, and returns once it has said it is ready (at most 30 s).
g_bg_ready() {
	local ns=$1 name=$2 fifo line
	shift 2
	fifo="$TMPDIR/ready.$name.$$"
	rm -f "$fifo" && mkfifo "$fifo" || return 1
	ip netns exec "$ns" "$@" --ready "$fifo" &
	G_BG_PIDS+=($!)
	# <> opens without waiting for a writer, so a helper that dies early cannot hang us.
	read -r -t 30 line <>"$fifo"
	rm -f "$fifo"
	[ "$line" = ready ] || g_fail "$name did not start"
}

g_wait_bg() {
	local pid rc=0
	for pid in "${G_BG_PIDS[@]}"; do wait "$pid" || rc=1; done
	G_BG_PIDS=()
	return $rc
}

g_sink_start() { # NS OUTFILE [sink options]
	local ns=$1 out=$2
	shift 2
	g_bg_ready "$ns" sink $G_PY "$G_PKT" sink --once --out "$out" "$@"
}

g_sniff_start() { # NS IFACE OUTDIR [sniff options]
	local ns=$1 ifc=$2 out=$3
	shift 3
	g_bg_ready "$ns" "sniff$RANDOM" $G_PY "$G_PKT" sniff --iface "$ifc" --out "$out" "$@"
}

g_fence() { ip netns exec "$1" $G_PY "$G_PKT" fence --dst "$2"; }

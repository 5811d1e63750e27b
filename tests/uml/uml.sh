# shellcheck shell=bash
# User-mode Linux guest harness: a real Linux 6.1 kernel (esp4, ah4, gcm, veth) run as an
# ordinary process with the host filesystem as its root. Source this file from a test:
#
#   . tests/uml/uml.sh
#   uml_init                       # temp dir, module root, init script, cleanup trap
#   uml_tap_create                 # optional: host netns + TAP; guest gets vec0
#   uml_run_guest "$UML_DIR/work" guest.sh || { uml_dump_log; exit 1; }
#
# See docs/testing/real-kernel.md for the whole interface. Every resource created here (temp dir, netns,
# TAP device, UML process tree) is removed by uml_cleanup, which uml_init installs as the
# EXIT trap; a test that needs its own EXIT work calls uml_cleanup from its own trap.

UML_BIN=${UML_BIN:-/usr/bin/linux.uml}
UML_MEM=${UML_MEM:-384M}
UML_TIMEOUT=${UML_TIMEOUT:-90}          # seconds for one whole guest run, boot included
UML_APPEND=${UML_APPEND:-}              # extra kernel command-line words
UML_SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UML_MODULES="xfrm_user xfrm_algo esp4 ah4 gcm ghash_generic ctr cbc hmac seqiv echainiv authenc drbg ansi_cprng sha512_generic veth af_packet"

UML_DIR=""          # the test's private folder; the guest writes only below it
UML_RAMDIR=""       # where UML keeps the guest's RAM file (tmpfs if possible)
UML_NETNS=""        # host netns holding the TAP (empty: no live link)
UML_TAP=""          # TAP device name inside UML_NETNS
UML_PID=""          # pid of the `timeout` wrapping linux.uml while a guest runs
UML_LOG=""          # console log of the last guest run
UML_WALL=""         # wall seconds of the last guest run

uml_log() { printf '[uml %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# Checks that the host can run a guest; prints why not and returns 1 otherwise.
uml_available() {
	[ -x "$UML_BIN" ] || { echo "no $UML_BIN (apt-get install user-mode-linux)" >&2; return 1; }
	command -v modprobe >/dev/null 2>&1 || [ -x /usr/sbin/modprobe ] ||
		{ echo "no modprobe (apt-get install kmod)" >&2; return 1; }
	[ -n "$(ls /usr/lib/uml/modules 2>/dev/null)" ] || { echo "no UML modules" >&2; return 1; }
}

# Removes what an earlier run left when it was killed with SIGKILL (no trap ran): only
# our own names, and only when the shell that made them is gone.
uml_reap_stale() {
	local ns pid d
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep '^rmcpsec-uml-[0-9]*-[0-9]*$'); do
		pid=${ns#rmcpsec-uml-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null || ip netns del "$ns" 2>/dev/null
	done
	for d in /tmp/rmcpsec-uml.* /dev/shm/rmcpsec-uml.*; do
		[ -f "$d/owner.pid" ] || continue
		kill -0 "$(cat "$d/owner.pid")" 2>/dev/null && continue
		pgrep -f "init=$d/init.sh" >/dev/null && continue
		rm -rf "$d"
	done
}

uml_init() {
	uml_available || return 1
	uml_reap_stale
	UML_DIR=$(mktemp -d /tmp/rmcpsec-uml.XXXXXX) || return 1
	echo $$ >"$UML_DIR/owner.pid"
	trap uml_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local v
	v=$(ls /usr/lib/uml/modules | head -n1)
	mkdir -p "$UML_DIR/umlroot/lib/modules" "$UML_DIR/work"
	# UML backs the guest's RAM with a file in TMPDIR: on tmpfs when there is one.
	UML_RAMDIR=$UML_DIR/umltmp
	[ -d /dev/shm ] && UML_RAMDIR=$(mktemp -d /dev/shm/rmcpsec-uml.XXXXXX)
	mkdir -p "$UML_RAMDIR"
	echo $$ >"$UML_RAMDIR/owner.pid"
	ln -sfn "/usr/lib/uml/modules/$v" "$UML_DIR/umlroot/lib/modules/$v"
	printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s/umlroot "$@"\n' "$UML_DIR" >"$UML_DIR/modprobe.sh"
	chmod +x "$UML_DIR/modprobe.sh"
	uml_write_init
}

# Guest PID 1. Mounts a private /run (the host's must stay untouched), loads the modules
# from the private module root, warms the crypto templates up (their first use costs
# 3-7 s in UML, enough to make IKE retransmit), runs the guest script, powers off.
uml_write_init() {
	cat >"$UML_DIR/init.sh" <<INIT
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys
echo "uml: init at \$(cut -d' ' -f1 /proc/uptime) s uptime"
mountpoint -q /dev || mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts pts /dev/pts; mount -t tmpfs shm /dev/shm
mount -t tmpfs run /run
modprobe -d $UML_DIR/umlroot -a $UML_MODULES
echo "uml: modules in at \$(cut -d' ' -f1 /proc/uptime) s uptime"
ip link set lo up
t0=\$(cut -d' ' -f1 /proc/uptime)
# With every module in, the crypto API's module requests during the warm-up can only
# fail; an empty modprobe path fails them without a process start each (seconds in UML).
echo > /proc/sys/kernel/modprobe
ip xfrm state add src 127.0.0.1 dst 127.0.0.1 proto esp spi 1 aead 'rfc4106(gcm(aes))' 0x\$(printf '%040d' 0) 128
ip xfrm state add src 127.0.0.1 dst 127.0.0.1 proto ah spi 2 auth-trunc 'hmac(sha256)' 0x\$(printf '%064d' 0) 128
ip xfrm state add src 127.0.0.1 dst 127.0.0.1 proto esp spi 3 enc 'cbc(aes)' 0x\$(printf '%032d' 0) auth-trunc 'hmac(sha256)' 0x\$(printf '%064d' 0) 128
ip xfrm state flush
echo $UML_DIR/modprobe.sh > /proc/sys/kernel/modprobe
echo "uml: warm-up from \$t0 to \$(cut -d' ' -f1 /proc/uptime) s uptime"
cd "\$UMLWORK"
mkdir -p "\$UMLWORK/tmp"; export TMPDIR="\$UMLWORK/tmp"
bash "\$UMLCMD" > "\$UMLWORK/guest.out" 2>&1
rc=\$?
cat "\$UMLWORK/guest.out"
echo \$rc > "\$UMLWORK/guest.rc"
echo "uml: guest rc=\$rc"
sync
echo o > /proc/sysrq-trigger
# power-off is asynchronous: init must outlive it, or the kernel panics on its exit
while :; do sleep 1; done
INIT
	chmod +x "$UML_DIR/init.sh"
}

# Creates a host netns with a unique name and a TAP device in it; the next guest boots
# inside that netns with vec0 attached to the TAP. The host side stays down and
# unaddressed: the test configures it (ip -n "$UML_NETNS" ...).
uml_tap_create() {
	UML_NETNS="rmcpsec-uml-$$-$RANDOM"
	UML_TAP="rmu$$"
	UML_TAP=${UML_TAP:0:15}
	ip netns add "$UML_NETNS" || { UML_NETNS=""; return 1; }
	ip -n "$UML_NETNS" link set lo up
	ip -n "$UML_NETNS" tuntap add dev "$UML_TAP" mode tap || return 1
}

# uml_run_guest WORKDIR GUEST_SCRIPT [ARGS...]
# Boots a guest that runs `sh GUEST_SCRIPT` with WORKDIR as its current directory;
# output of the guest script lands in WORKDIR/guest.out, the console in UML_LOG.
# Returns the guest script's exit status, 124 on timeout, 125 if the guest died
# without reporting one.
uml_run_guest() {
	local work=$1 script=$2 rc t0 t1
	work=$(cd "$work" && pwd) || return 125
	script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
	rm -f "$work/guest.rc" "$work/guest.out"
	UML_LOG="$work/console.log"
	# shellcheck disable=SC2054,SC2206 # commas belong to UML options; UML_APPEND is words
	local -a cmd=(env TMPDIR="$UML_RAMDIR" "$UML_BIN" mem="$UML_MEM"
		root=/dev/root rootfstype=hostfs rootflags=/ rw
		init="$UML_DIR/init.sh" UMLCMD="$script" UMLWORK="$work" UMLSRC="$UML_SRC_DIR"
		quiet con0=fd:0,fd:1 con=null $UML_APPEND)
	[ -n "$UML_TAP" ] && cmd+=("vec0:transport=tap,ifname=$UML_TAP")
	[ -n "$UML_NETNS" ] && cmd=(ip netns exec "$UML_NETNS" "${cmd[@]}")
	t0=$(date +%s.%N)
	# setsid: the UML kernel forks helper processes; a session of its own lets
	# cleanup end the whole tree by its process group, and only that tree.
	# No core files: a UML panic must not drop a core into the caller's directory.
	(ulimit -c 0 && cd "$UML_DIR" && exec setsid timeout -k 5 "$UML_TIMEOUT" "${cmd[@]}") \
		</dev/null >"$UML_LOG" 2>&1 &
	UML_PID=$!
	wait "$UML_PID"
	rc=$?
	UML_PID=""
	t1=$(date +%s.%N)
	UML_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	uml_log "guest $(basename "$script") ran ${UML_WALL}s (uml exit $rc)"
	[ "$rc" = 124 ] && { uml_log "guest timed out after ${UML_TIMEOUT}s"; return 124; }
	[ -s "$work/guest.rc" ] || return 125
	return "$(cat "$work/guest.rc")"
}

uml_dump_log() {
	[ -n "$UML_LOG" ] && [ -f "$UML_LOG" ] || return 0
	echo "----- UML console log ($UML_LOG) -----" >&2
	tail -n 200 "$UML_LOG" >&2
	echo "----- end of UML console log -----" >&2
}

# Ends the process tree of a guest still running: its session (setsid above) by
# process group, then whatever linux.uml processes still run from our own folder.
uml_kill_tree() {
	local pid
	if [ -n "$UML_PID" ]; then
		kill -TERM -- "-$UML_PID" 2>/dev/null
		kill -KILL -- "-$UML_PID" 2>/dev/null
		wait "$UML_PID" 2>/dev/null
		UML_PID=""
	fi
	[ -n "$UML_DIR" ] || return 0
	for pid in $(pgrep -f "init=$UML_DIR/init.sh" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
}

uml_cleanup() {
	local rc=$?
	uml_kill_tree
	if [ -n "$UML_NETNS" ]; then
		ip -n "$UML_NETNS" link del "$UML_TAP" 2>/dev/null
		ip netns del "$UML_NETNS" 2>/dev/null
		UML_NETNS=""
		UML_TAP=""
	fi
	case $UML_RAMDIR in /dev/shm/rmcpsec-uml.*) rm -rf "$UML_RAMDIR" ;; esac
	UML_RAMDIR=""
	if [ -n "$UML_DIR" ] && [ -d "$UML_DIR" ]; then
		# UML_KEEP=DIR: keep the run's folder (packets, logs) for a post-mortem.
		[ -z "${UML_KEEP:-}" ] || cp -a "$UML_DIR/work" "$UML_KEEP"
		rm -rf "$UML_DIR"
	fi
	UML_DIR=""
	return $rc
}

# Fails (and says what) if anything this shell created is still there.
uml_check_leftovers() {
	local bad=0 ns=$1 tap=$2 dir=$3
	if [ -n "$ns" ] && ip netns list | grep -qw "$ns"; then echo "leftover netns $ns" >&2; bad=1; fi
	if [ -n "$tap" ] && ip link show "$tap" >/dev/null 2>&1; then echo "leftover link $tap" >&2; bad=1; fi
	if [ -n "$dir" ] && pgrep -f "init=$dir/init.sh" >/dev/null; then echo "leftover linux.uml from $dir" >&2; bad=1; fi
	if [ -n "$dir" ] && [ -e "$dir" ]; then echo "leftover dir $dir" >&2; bad=1; fi
	return $bad
}

# Command mode, for callers that are not bash (a C test's system(), a Makefile):
#   bash tests/uml/uml.sh rounds WORKDIR          standard round driver over WORKDIR
#   bash tests/uml/uml.sh run WORKDIR SCRIPT      any guest script
# Exit status: the guest script's, 124 on timeout, 125 if the guest never reported.
# On failure the console log is printed to stderr.
uml_main() {
	local what=${1:-} work=${2:-} script rc
	case $what in
	rounds) script=$UML_SRC_DIR/guest-rounds.sh ;;
	run) script=${3:-} ;;
	*)
		echo "usage: $0 rounds WORKDIR | run WORKDIR GUEST_SCRIPT" >&2
		return 2
		;;
	esac
	[ -d "$work" ] && [ -f "$script" ] || { echo "uml.sh: no $work or $script" >&2; return 2; }
	uml_init || return 125
	uml_run_guest "$work" "$script"
	rc=$?
	[ $rc -eq 0 ] || uml_dump_log
	return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	uml_main "$@"
	exit $?
fi

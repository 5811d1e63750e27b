# Guest side of the live link (tests/e2e/uml_tap_link.sh, docs/testing/real-kernel.md): vec0 is
# 192.0.2.130/25, the host's TAP end 192.0.2.129 (a fixed MAC, no ARP needed).
# UMLWORK/vec0.xfrm, if present, holds `ip xfrm` argument lines for the guest's root
# namespace. A UDP echo on ports 664 and 665 says "ready" to 192.0.2.129:6641 and
# runs until it echoes "bye".
. "$UMLSRC/guest-lib.sh"
ip addr add 192.0.2.130/25 dev vec0 || exit 1
ip link set vec0 up || exit 1
ip neigh replace 192.0.2.129 lladdr 02:00:00:00:00:81 dev vec0 nud permanent || exit 1
if [ -f "$UMLWORK/vec0.xfrm" ]; then g_xfrm_apply "" "$UMLWORK/vec0.xfrm" || exit 1; fi
$G_PY "$G_PKT" echo --ports 664,665 --ready-to 192.0.2.129:6641 --timeout 60
rc=$?
ip -s xfrm state
cat /proc/net/xfrm_stat | awk '$2 != 0'
exit $rc

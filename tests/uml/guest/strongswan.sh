# Guest side of tests/e2e/uml_strongswan.sh: two charons (h1 initiator, h2 responder)
# negotiate a transport-mode CHILD_SA for UDP 664 with a PSK, then rounds of traffic
# (pkt.py rounds, keeping charon's SAs) before and after a CHILD_SA rekey with PFS.
# Writes UMLWORK/spis.before, spis.after and each charon's log.
. "$UMLSRC/guest-lib.sh"
. "$UMLSRC/charon.sh"
trap ch_stop_all EXIT
g_pair || exit 1
ch_conf "$UMLWORK/ch1" $G_H1 $G_H2 initiator || exit 1
ch_conf "$UMLWORK/ch2" $G_H2 $G_H1 responder || exit 1
ch_start h1 "$UMLWORK/ch1" && ch_start h2 "$UMLWORK/ch2" || exit 1
ch_load "$UMLWORK/ch1" && ch_load "$UMLWORK/ch2" || exit 1
ch_initiate "$UMLWORK/ch1" || exit 1
ch_child_spis "$UMLWORK/ch1" >"$UMLWORK/spis.before"
ip -n h1 xfrm state >"$UMLWORK/xfrm_h1.before"
$G_PY "$G_PKT" rounds --no-pair --only 1-established "$UMLWORK" || exit 1
ch_rekey "$UMLWORK/ch1" || exit 1
# The rekey completes asynchronously: wait (bounded) until a CHILD_SA with new SPIs is in.
for _ in $(seq 100); do
	ch_child_spis "$UMLWORK/ch1" >"$UMLWORK/spis.after"
	grep -vxFf "$UMLWORK/spis.before" "$UMLWORK/spis.after" | grep -q . && break
	sleep 0.2
done
ip -n h1 xfrm state >"$UMLWORK/xfrm_h1.after"
$G_PY "$G_PKT" rounds --no-pair --only 2-rekeyed "$UMLWORK" || exit 1
ch_list "$UMLWORK/ch1"

# A strongSwan peer on the live link (docs/testing/real-kernel.md): charon in the guest's root namespace
# on vec0 (192.0.2.130/25), the host end of the TAP is 192.0.2.129 with MAC
# 02:00:00:00:00:81. Settings come from UMLWORK/charon-peer.env (shell assignments):
#   ROLE=responder|initiator  PSK=...  CH_ESP_PROPOSALS=...  CH_IKE_PROPOSALS=...
# Once charon is up, a UDP echo on ports 664 and 665 says "ready" to 192.0.2.129:6641
# and runs until it echoes "bye"; an initiator starts IKE towards 192.0.2.129 meanwhile.
# Afterwards UMLWORK/charon/ holds charon.log, and UMLWORK/xfrm_state.txt,
# UMLWORK/xfrm_stat.txt and UMLWORK/sas.txt what the kernel and charon ended with.
. "$UMLSRC/guest-lib.sh"
. "$UMLSRC/charon.sh"
ROLE=responder
PSK=a-test-only-psk
# shellcheck disable=SC1091
[ ! -f "$UMLWORK/charon-peer.env" ] || . "$UMLWORK/charon-peer.env"
export CH_ESP_PROPOSALS CH_IKE_PROPOSALS
trap ch_stop_all EXIT
ip addr add 192.0.2.130/25 dev vec0 || exit 1
ip link set vec0 up || exit 1
ip neigh replace 192.0.2.129 lladdr 02:00:00:00:00:81 dev vec0 nud permanent || exit 1
D=$UMLWORK/charon
ch_conf "$D" 192.0.2.130 192.0.2.129 "$ROLE" "$PSK" || exit 1
ch_start "" "$D" && ch_load "$D" || exit 1
if [ "$ROLE" = initiator ]; then
	# The host's IKE responder listens before the guest boots; charon retransmits anyway.
	ch_initiate "$D" >"$UMLWORK/initiate.txt" 2>&1 &
fi
$G_PY "$G_PKT" echo --ports 664,665 --ready-to 192.0.2.129:6641 --timeout 100
rc=$?
ip -s xfrm state >"$UMLWORK/xfrm_state.txt"
cat /proc/net/xfrm_stat >"$UMLWORK/xfrm_stat.txt"
ch_list "$D" >"$UMLWORK/sas.txt" 2>&1
exit $rc

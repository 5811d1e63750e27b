#include "sim/observe.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/pkt.h"
#include "proto/rmcp.h"

void
obs_log_init(struct obs_log *log)
{
	memset(log, 0, sizeof(*log));
}

void
obs_log_fini(struct obs_log *log)
{
	free(log->v);
	memset(log, 0, sizeof(*log));
}

static int16_t
node_by_mac(const struct scenario *sc, const uint8_t *mac)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (memcmp(sc->nodes[i].mac, mac, 6) == 0)
			return (int16_t)i;
	return -1;
}

static void
classify(struct obs *o, const uint8_t *f, size_t len)
{
	struct pkt pk;
	struct rmcp_msg m;
	if (pkt_decode(f, len, &pk) != RMC_OK) {
		o->kind = OBS_MALFORMED;
		return;
	}
	if (pk.kind == PKT_ARP) {
		o->kind = pk.arp.op == ARP_OP_REQUEST ? OBS_ARP_REQUEST : OBS_ARP_REPLY;
		return;
	}
	o->kind = OBS_OTHER;
	if (pk.kind != PKT_UDP)
		return;
	o->sport = pk.udp.sport;
	o->dport = pk.udp.dport;
	if (pk.udp.sport != RMCP_PORT_CLEAR && pk.udp.dport != RMCP_PORT_CLEAR)
		return;
	if (rmcp_decode(pk.payload, pk.payload_len, &m) != RMC_OK) {
		o->kind = OBS_MALFORMED;
		return;
	}
	o->rmcp_seq = m.seq;
	if (m.is_ack) {
		o->kind = OBS_RMCP_ACK;
		return;
	}
	if (m.iana == ASF_IANA) {
		o->kind = OBS_ASF;
		o->asf_type = m.type;
		o->tag = m.tag;
	}
}

int
obs_log_frame(struct obs_log *log, const struct scenario *sc, uint64_t t, const uint8_t *f,
	      size_t len)
{
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 256;
		struct obs *v = realloc(log->v, cap * sizeof(*v));
		if (!v)
			return RMC_ENOMEM;
		log->v = v;
		log->cap = cap;
	}
	struct obs *o = &log->v[log->n];
	memset(o, 0, sizeof(*o));
	o->t = t;
	o->frame_no = (uint32_t)(log->n + 1);
	o->from = len >= 12 ? node_by_mac(sc, f + 6) : -1;
	o->to = len >= 6 ? node_by_mac(sc, f) : -1;
	classify(o, f, len);
	log->n++;
	return RMC_OK;
}

int
obs_match(const struct obs *o, const struct scn_pattern *p)
{
	if (p->from >= 0 && o->from != p->from)
		return 0;
	if (p->to >= 0 && o->to != p->to)
		return 0;
	if (p->kind != OBS_ANY && o->kind != p->kind)
		return 0;
	if (p->asf_type >= 0 && o->asf_type != p->asf_type)
		return 0;
	if (p->port >= 0 && o->sport != p->port && o->dport != p->port)
		return 0;
	return 1;
}

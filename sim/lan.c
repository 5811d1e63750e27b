#include "sim/lan.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

/*
 * Event arguments pack a slot index and a port: arg = slot << 32 | port.
 * Slots are indices, never pointers, so the pool may grow by realloc.
 */
static uint64_t
pack(uint32_t slot, size_t port)
{
	return ((uint64_t)slot << 32) | (uint32_t)port;
}

static int
pool_grow(struct lan *lan)
{
	size_t n = lan->nslots ? lan->nslots * 2 : 64;
	void *s = realloc(lan->slots, n * LAN_SLOT_BYTES);
	if (!s)
		return RMC_ENOMEM;
	lan->slots = s;
	uint16_t *l = realloc(lan->slot_len, n * sizeof(*l));
	if (!l)
		return RMC_ENOMEM;
	lan->slot_len = l;
	uint16_t *r = realloc(lan->slot_refs, n * sizeof(*r));
	if (!r)
		return RMC_ENOMEM;
	lan->slot_refs = r;
	uint32_t *fr = realloc(lan->slot_frame, n * sizeof(*fr));
	if (!fr)
		return RMC_ENOMEM;
	lan->slot_frame = fr;
	uint32_t *f = realloc(lan->free_slots, n * sizeof(*f));
	if (!f)
		return RMC_ENOMEM;
	lan->free_slots = f;
	for (size_t i = lan->nslots; i < n; i++)
		lan->free_slots[lan->nfree++] = (uint32_t)(n - 1 - (i - lan->nslots));
	lan->nslots = n;
	return RMC_OK;
}

static int
slot_alloc(struct lan *lan, const uint8_t *frame, size_t len, uint32_t *slot)
{
	if (lan->nfree == 0 && pool_grow(lan) != RMC_OK)
		return RMC_ENOMEM;
	*slot = lan->free_slots[--lan->nfree];
	memcpy(lan->slots[*slot], frame, len);
	lan->slot_len[*slot] = (uint16_t)len;
	lan->slot_refs[*slot] = 1;
	lan->slot_frame[*slot] = 0;
	return RMC_OK;
}

static void
slot_put(struct lan *lan, uint32_t slot)
{
	if (--lan->slot_refs[slot] == 0)
		lan->free_slots[lan->nfree++] = slot;
}

int
lan_init(struct lan *lan, struct engine *eng, size_t nports, lan_deliver_fn deliver,
	 lan_capture_fn capture, void *ctx)
{
	memset(lan, 0, sizeof(*lan));
	lan->eng = eng;
	lan->ports = calloc(nports ? nports : 1, sizeof(*lan->ports));
	if (!lan->ports)
		return RMC_ENOMEM;
	lan->nports = nports;
	lan->deliver = deliver;
	lan->capture = capture;
	lan->ctx = ctx;
	for (size_t i = 0; i < nports; i++)
		lan->ports[i].cfg = (struct lan_port_cfg){.latency_ns = 1000, .mtu = 1500};
	if (mac_table_init(&lan->macs, nports) != RMC_OK)
		return RMC_ENOMEM;
	return pool_grow(lan);
}

void
lan_fini(struct lan *lan)
{
	if (!lan)
		return;
	free(lan->ports);
	mac_table_fini(&lan->macs);
	free(lan->slots);
	free(lan->slot_len);
	free(lan->slot_refs);
	free(lan->slot_frame);
	free(lan->free_slots);
	memset(lan, 0, sizeof(*lan));
}

void
lan_port_config(struct lan *lan, size_t port, const struct lan_port_cfg *cfg)
{
	if (port < lan->nports)
		lan->ports[port].cfg = *cfg;
}

static uint64_t
serialise_ns(const struct lan_port_cfg *cfg, size_t len)
{
	if (cfg->bits_per_s == 0)
		return 0;
	/* 8 bytes of preamble+SFD, 4 of FCS and a 12-byte gap occupy the wire too. */
	uint64_t bits = (uint64_t)(len + 24) * 8;
	return (bits * NS_PER_S + cfg->bits_per_s - 1) / cfg->bits_per_s;
}

static void
on_arrive_node(void *ctx, uint64_t arg)
{
	struct lan *lan = ctx;
	uint32_t slot = (uint32_t)(arg >> 32);
	size_t port = (uint32_t)arg;
	lan->ports[port].rx_frames++;
	lan->deliver(lan->ctx, port, lan->eng->now, lan->slots[slot], lan->slot_len[slot]);
	slot_put(lan, slot);
}

static void
egress_after(struct lan *lan, uint32_t slot, size_t port, uint64_t extra_ns)
{
	struct lan_port *p = &lan->ports[port];
	uint64_t now = lan->eng->now;
	uint64_t start = p->out_busy_until > now ? p->out_busy_until : now;
	uint64_t done = start + serialise_ns(&p->cfg, lan->slot_len[slot]);
	p->out_busy_until = done;
	lan->slot_refs[slot]++;
	if (engine_at(lan->eng, done + p->cfg.latency_ns + extra_ns, on_arrive_node, lan,
		      pack(slot, port)))
		slot_put(lan, slot);
}

static void
egress(struct lan *lan, uint32_t slot, size_t in, size_t port)
{
	if (lan->fate)
		lan->fate(lan->fate_ctx, lan->slot_frame[slot], in, port, lan->slots[slot],
			  lan->slot_len[slot]);
	else
		egress_after(lan, slot, port, 0);
}

int
lan_egress(struct lan *lan, size_t to, const uint8_t *frame, size_t len, uint64_t extra_ns)
{
	uint32_t slot;
	if (to >= lan->nports || len == 0 || len > LAN_SLOT_BYTES)
		return RMC_EINVAL;
	int rc = slot_alloc(lan, frame, len, &slot);
	if (rc)
		return rc;
	egress_after(lan, slot, to, extra_ns);
	slot_put(lan, slot);
	return RMC_OK;
}

void
lan_set_fate(struct lan *lan, lan_fate_fn fate, void *ctx)
{
	lan->fate = fate;
	lan->fate_ctx = ctx;
}

static void
on_arrive_switch(void *ctx, uint64_t arg)
{
	struct lan *lan = ctx;
	uint32_t slot = (uint32_t)(arg >> 32);
	size_t in = (uint32_t)arg;
	const uint8_t *f = lan->slots[slot];

	mac_table_learn(&lan->macs, f + 6, (uint32_t)in);
	long out = f[0] & 1 ? -1 : mac_table_lookup(&lan->macs, f);
	if (out >= 0) {
		if ((size_t)out != in) {
			egress(lan, slot, in, (size_t)out);
			lan->forwarded++;
		} else {
			lan->filtered++;
		}
	} else {
		for (size_t p = 0; p < lan->nports; p++)
			if (p != in)
				egress(lan, slot, in, p);
		lan->flooded++;
	}
	slot_put(lan, slot);
}

int
lan_send(struct lan *lan, size_t port, const uint8_t *frame, size_t len)
{
	if (port >= lan->nports || len < 14 || len > LAN_SLOT_BYTES)
		return RMC_EINVAL;
	struct lan_port *p = &lan->ports[port];
	if (len > (size_t)p->cfg.mtu + 14) {
		p->oversize++;
		return RMC_EINVAL;
	}
	uint64_t now = lan->eng->now;
	uint64_t start = p->in_busy_until > now ? p->in_busy_until : now;
	uint64_t done = start + serialise_ns(&p->cfg, len);
	p->in_busy_until = done;
	p->tx_frames++;
	lan->captured++;
	if (lan->capture)
		lan->capture(lan->ctx, port, now, frame, len);
	uint32_t slot;
	int rc = slot_alloc(lan, frame, len, &slot);
	if (rc)
		return rc;
	lan->slot_frame[slot] = lan->captured;
	rc = engine_at(lan->eng, done + p->cfg.latency_ns, on_arrive_switch, lan, pack(slot, port));
	if (rc)
		slot_put(lan, slot);
	return rc;
}

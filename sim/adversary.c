/*
 * The harness as an adversary (docs/users/scenarios.md, "The adversary"):
 * the scenario's `do: inject` frames, crafted with the keys the run knows
 * and sent into the network as if from a server's port, at a time or when a
 * commit message of the client is seen on the wire. Everything it needs to
 * know — which SA is active, pending or previous, the highest sequence
 * number used — it reads from the wire (sim/observe), so it works the same
 * against a device under test.
 */
#include "sim/adversary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodes/secure.h"
#include "proto/build.h"
#include "proto/err.h"
#include "proto/esp.h"
#include "proto/commit_wire.h"
#include "proto/rd.h"
#include "proto/rmcp.h"
#include "sim/run_int.h"
#include "sim/scenario_inject.h"

enum { ADV_FRAME_MAX = 1600 };

int
adversary_init(struct adversary *a, const struct scenario *sc)
{
	memset(a, 0, sizeof(*a));
	if (sc->ninjects + sc->nike_peers == 0)
		return RMC_OK;
	a->rec = calloc(sc->ninjects, sizeof(*a->rec));
	a->seen = calloc(sc->ninjects, sizeof(*a->seen));
	a->fb = frame_builder_new();
	a->ip_id = 0x4000;
	return a->rec && a->seen && a->fb ? adversary_ike_init(a, sc) : RMC_ENOMEM;
}

void
adversary_fini(struct adversary *a)
{
	adversary_ike_fini(a);
	frame_builder_free(a->fb);
	free(a->rec);
	free(a->seen);
	memset(a, 0, sizeof(*a));
}

/* The injection cannot be made as written: the scenario's verdicts on it are N/A, said why. */
static void
not_made(struct run *r, size_t i, const char *fmt, const char *arg)
{
	struct adv_record *rec = &r->adv.rec[i];
	rec->t = r->eng.now;
	snprintf(rec->why, sizeof(rec->why), fmt, arg);
	char note[SCN_NAME + sizeof(rec->why) + 16];
	snprintf(note, sizeof(note), "inject %s: %s", r->sc->injects[i].name, rec->why);
	run_note(r, (size_t)r->sc->injects[i].to, note); /* a long note is cut to fit */
}

/* The ord of the SA the injection names, from the wire's view of the client's SAs. */
static uint16_t
pick_sa(const struct run *r, const struct scn_inject *in)
{
	struct obs_client_sas s = obs_client_sas(&r->obs, in->to);
	switch (in->sa) {
	case SCN_INJ_SA_ACTIVE:
		return s.active;
	case SCN_INJ_SA_PENDING:
		return s.newest > s.active ? s.newest : 0;
	case SCN_INJ_SA_PREVIOUS:
		return s.previous;
	case SCN_INJ_SA_NTH:
		return in->sa_nth <= s.newest ? in->sa_nth : 0;
	}
	return 0;
}

/* The highest sequence number the wire showed going to the client under this SPI. */
static uint64_t
highest_seq(const struct run *r, int client, uint32_t spi)
{
	uint64_t hi = 0;
	for (size_t i = 0; i < r->obs.n; i++) {
		const struct obs *o = &r->obs.v[i];
		if (o->to == client && o->spi == spi && o->prot != OBS_CLEAR && o->seq > hi)
			hi = o->seq;
	}
	return hi;
}

static uint64_t
pick_seq(const struct run *r, const struct scn_inject *in, uint32_t spi)
{
	uint64_t hi = highest_seq(r, in->to, spi);
	switch (in->seq) {
	case SCN_INJ_SEQ_NEXT:
		return hi + 1;
	case SCN_INJ_SEQ_REPLAY:
		return hi ? hi : 1;
	case SCN_INJ_SEQ_AHEAD:
		return hi + in->seq_arg;
	case SCN_INJ_SEQ_VALUE:
		return in->seq_arg;
	}
	return hi + 1;
}

/*
 * Where a field of the packet lies: offset and length from the IP payload's
 * start (the outermost IPsec header), for an ESP or AH packet of plen bytes.
 */
static bool
field_span(uint8_t suite, enum scn_damage d, size_t plen, size_t *off, size_t *len)
{
	bool ah = suite == MGMT_AH || suite == MGMT_AH_ESP;
	size_t iv = suite == MGMT_ESP_CBC_HMAC ? 16 : 8, hdr = ah ? 12 : 8;
	size_t icv_at = ah ? 12 : plen - SA_ICV_LEN;
	size_t body = ah ? 12 + SA_ICV_LEN + (suite == MGMT_AH ? 4 : 0) : hdr + iv;
	if (plen < body + SA_ICV_LEN + 2)
		return false;
	switch (d) {
	case SCN_DAMAGE_SPI:
		*off = ah ? 4 : 0, *len = 4;
		return true;
	case SCN_DAMAGE_SEQ:
		*off = ah ? 8 : 4, *len = 4;
		return true;
	case SCN_DAMAGE_IV:
		*off = hdr, *len = iv;
		return !ah;
	case SCN_DAMAGE_CIPHERTEXT:
		*off = body, *len = 1;
		return true;
	case SCN_DAMAGE_PADDING: /* the pad length byte: the trailer before the ICV */
		*off = plen - SA_ICV_LEN - 2, *len = 1;
		return !ah;
	case SCN_DAMAGE_NEXT_HEADER:
		*off = ah ? 0 : plen - SA_ICV_LEN - 1, *len = 1;
		return true;
	case SCN_DAMAGE_ICV:
		*off = icv_at, *len = SA_ICV_LEN;
		return true;
	default:
		return false;
	}
}

/* One bit flipped in the middle of the field: the smallest change a check must catch. */
static void
damage(uint8_t *ip, size_t iplen, uint8_t suite, enum scn_damage d)
{
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4, off, len;
	if (d == SCN_DAMAGE_NONE || !field_span(suite, d, iplen - ihl, &off, &len))
		return;
	ip[ihl + off + len / 2] ^= 0x10;
}

/*
 * A commit message's body: that of the client's last SA_READY on the wire
 * (the SA it travelled under gives the SPIs), the transaction id shifted as
 * the scenario says. RMC_ENOENT when the client sent none yet.
 */
static int
commit_body(const struct run *r, const struct scn_inject *in, struct commit_wire *w)
{
	for (size_t k = r->obs.n; k-- > 0;) {
		const struct obs *o = &r->obs.v[k];
		if (o->injected || o->kind != OBS_COMMIT || o->asf_type != ASF_COMMIT_READY ||
		    o->from != in->to)
			continue;
		const struct sec_pair *p = obs_sa_pair(&r->obs, in->to, o->sa, SEC_NIC);
		if (!p)
			return RMC_ENOENT;
		*w =
		    (struct commit_wire){.type = in->asf_type,
					 .nic_spi_in = p->spi_in,
					 .nic_spi_out = p->spi_out,
					 .txid = (uint32_t)((int64_t)o->commit_txid + in->txid_off),
					 .gen = o->commit_gen};
		return RMC_OK;
	}
	return RMC_ENOENT;
}

/* The RMCP/ASF message of the injection. */
static int
encode_message(const struct run *r, const struct scn_inject *in, uint8_t *buf, size_t cap,
	       size_t *n)
{
	struct rmcp_msg m = {
	    .seq = in->rmcp_seq, .iana = ASF_IANA, .type = in->asf_type, .tag = in->tag};
	struct commit_wire w;
	if (!in->commit)
		return rmcp_encode(&m, buf, cap, n);
	int rc = commit_body(r, in, &w);
	if (rc == RMC_OK && (rc = commit_wire_encode(&w, &m)) == RMC_OK)
		rc = rmcp_encode(&m, buf, cap, n);
	return rc;
}

/* Ethernet + IPv4 + UDP from the server's addresses to the client's. */
static int
build_udp(struct run *r, const struct scn_inject *in, uint16_t port, uint8_t *f, size_t *n)
{
	const struct scn_node *src = &r->sc->nodes[in->from], *dst = &r->sc->nodes[in->to];
	uint8_t msg[64];
	size_t mlen;
	struct l2l3 a = {.src_ip = src->ip, .dst_ip = dst->ip, .ip_id = r->adv.ip_id++};
	memcpy(a.src_mac, src->mac, 6);
	memcpy(a.dst_mac, dst->mac, 6);
	int rc = encode_message(r, in, msg, sizeof(msg), &mlen);
	return rc ? rc : frame_build_udp(r->adv.fb, &a, port, port, msg, mlen, f, ADV_FRAME_MAX, n);
}

/* The frame sealed under the server's side of the chosen SA, then damaged as asked. */
static int
seal(struct run *r, size_t i, uint8_t *f, size_t *n)
{
	const struct scn_inject *in = &r->sc->injects[i];
	uint16_t ord = pick_sa(r, in);
	struct sec_pair *p = ord ? obs_sa_pair(&r->obs, in->to, ord, SEC_SERVER) : NULL;
	if (!p) {
		not_made(r, i, "the client has no %s SA now", scn_inj_sa_name(in->sa));
		return RMC_ENOENT;
	}
	uint64_t seq = pick_seq(r, in, p->spi_out);
	size_t tot = get_be16(f + ETH_HLEN + 2), iplen;
	int rc =
	    sec_seal_ipv4(p, seq ? seq : 1, f + ETH_HLEN, tot, ADV_FRAME_MAX - ETH_HLEN, &iplen);
	if (rc) {
		not_made(r, i, "sealing failed (%s)", rmc_strerror(rc));
		return rc;
	}
	uint8_t *ip = f + ETH_HLEN;
	size_t at =
	    (size_t)(ip[0] & 0x0f) * 4 +
	    (r->sc->security.suite == MGMT_AH || r->sc->security.suite == MGMT_AH_ESP ? 4 : 0);
	if (in->spi_set)
		put_be32(ip + at, in->spi); /* a made-up SPI over a valid packet */
	damage(ip, iplen, r->sc->security.suite, in->damage);
	*n = ETH_HLEN + iplen;
	if (*n < ETH_MIN_FRAME) {
		memset(f + *n, 0, ETH_MIN_FRAME - *n);
		*n = ETH_MIN_FRAME;
	}
	return RMC_OK;
}

/* Crafts injection i and puts it on the network from the server's port, now. */
static void
fire(struct run *r, size_t i)
{
	const struct scn_inject *in = &r->sc->injects[i];
	struct adv_record *rec = &r->adv.rec[i];
	uint8_t f[ADV_FRAME_MAX];
	size_t n = 0;
	if (rec->fired)
		return;
	rec->fired = true;
	int rc = build_udp(r, in, in->port, f, &n);
	if (rc == RMC_ENOENT) {
		not_made(r, i, "%s", "the client sent no SA_READY to take the commit body from");
		return;
	}
	if (rc) {
		not_made(r, i, "the frame could not be built (%s)", rmc_strerror(rc));
		return;
	}
	if (!in->clear && seal(r, i, f, &n) != RMC_OK)
		return;
	rec->t = r->eng.now;
	rec->frame_no = (uint32_t)r->obs.n + 1;
	r->injecting = true;
	rc = net_inject(&r->net, (size_t)in->from, f, n);
	r->injecting = false;
	if (rc || r->obs.n < rec->frame_no) {
		rec->frame_no = 0;
		not_made(r, i, "the network did not take it (%s)", rmc_strerror(rc ? rc : RMC_EIO));
		return;
	}
	rec->made = true;
	char note[NODE_NOTE_LEN];
	snprintf(note, sizeof(note), "inject %s: frame #%u", in->name, rec->frame_no);
	run_note(r, (size_t)in->from, note);
}

static void
on_inject(void *ctx, uint64_t arg)
{
	fire(ctx, (size_t)arg);
}

int
adversary_schedule(struct run *r)
{
	for (size_t i = 0; i < r->sc->ninjects; i++) {
		const struct scn_inject *in = &r->sc->injects[i];
		if (in->step != SCN_STEP_NONE)
			continue; /* at a commit step: adversary_on_frame */
		int rc = engine_at(&r->eng, in->at, on_inject, r, i);
		if (rc)
			return rc;
	}
	return RMC_OK;
}

/* The commit step a frame on the wire is, for client c, or NONE. */
static enum scn_step
step_of(const struct obs *o, int c)
{
	if (o->kind != OBS_COMMIT || o->injected)
		return SCN_STEP_NONE;
	if (o->asf_type == ASF_COMMIT_READY && o->from == c)
		return SCN_STEP_READY;
	if (o->asf_type == ASF_COMMIT_ACK && o->to == c)
		return SCN_STEP_ACK;
	if (o->asf_type == ASF_COMMIT_CONFIRM && o->from == c)
		return SCN_STEP_CONFIRM;
	return SCN_STEP_NONE;
}

void
adversary_on_frame(struct run *r, const struct obs *o)
{
	if (o->kind != OBS_COMMIT)
		return;
	for (size_t i = 0; i < r->sc->ninjects; i++) {
		const struct scn_inject *in = &r->sc->injects[i];
		if (in->step == SCN_STEP_NONE || step_of(o, in->to) != in->step ||
		    ++r->adv.seen[i] != in->nth)
			continue;
		/* after the step's own frames: an event now runs once this step is done */
		if (engine_at(&r->eng, r->eng.now, on_inject, r, i) != RMC_OK)
			r->io_error = RMC_ENOMEM;
	}
}

void
adversary_end(struct run *r)
{
	for (size_t i = 0; i < r->sc->ninjects; i++)
		if (!r->adv.rec[i].fired) {
			r->adv.rec[i].fired = true;
			const struct scn_inject *in = &r->sc->injects[i];
			char why[48];
			snprintf(why, sizeof(why), "%s %u",
				 in->step == SCN_STEP_READY ? "sa_ready"
				 : in->step == SCN_STEP_ACK ? "sa_ack"
							    : "sa_confirm",
				 in->nth);
			not_made(r, i, "its moment never came (no %s seen)", why);
		}
}

/*
 * The server's SAs with one client (patent Figs. 3, 4): the pair in use
 * and the refreshed one until it is committed or abandoned, each opened as
 * a sec_pair on the heap (the SAD points into the pair and clients[] may
 * move), each with its outbound sequence numbers. Those are reserved in
 * the persistent store before use, so a successor resumes above anything
 * this server may have sent.
 */
#include "nodes/server_sa.h"

#include <stdlib.h>
#include <string.h>

#include "nodes/store.h"
#include "proto/err.h"

static void
pair_free(struct sec_pair **p)
{
	if (!*p)
		return;
	sec_pair_fini(*p);
	free(*p);
	*p = NULL;
}

static int
pair_new(struct sec_pair **p, const struct nvram_sa *sa)
{
	pair_free(p);
	if (!(*p = calloc(1, sizeof(**p))))
		return RMC_ENOMEM;
	int rc = sec_pair_init(*p, sa, SEC_SERVER, 0);
	if (rc) {
		free(*p);
		*p = NULL;
	}
	return rc;
}

static struct sec_pair **
pair_of(struct server_client *c, int which)
{
	return which == SRV_SA_NEW ? &c->nsec : &c->sec;
}

int
srv_sa_provision(struct server_client *c, const struct nvram_sa *stored, uint32_t replay_window)
{
	if (!c->sec && !(c->sec = calloc(1, sizeof(*c->sec))))
		return RMC_ENOMEM;
	sec_pair_fini(c->sec);
	return sec_pair_init(c->sec, stored, SEC_SERVER, replay_window);
}

int
srv_sa_stage(struct server_client *c, const struct nvram_sa *sa)
{
	int rc = pair_new(&c->nsec, sa);
	if (rc == RMC_OK)
		c->seq_next[SRV_SA_NEW] = c->seq_resv[SRV_SA_NEW] = 0;
	return rc;
}

void
srv_sa_promote(struct server_client *c)
{
	pair_free(&c->sec);
	c->sec = c->nsec;
	c->nsec = NULL;
	c->seq_next[SRV_SA_CUR] = c->seq_next[SRV_SA_NEW];
	c->seq_resv[SRV_SA_CUR] = c->seq_resv[SRV_SA_NEW];
	c->seq_next[SRV_SA_NEW] = c->seq_resv[SRV_SA_NEW] = 0;
	c->sec_lost = false;
}

void
srv_sa_drop(struct server_client *c, int which)
{
	pair_free(pair_of(c, which));
	c->seq_next[which] = c->seq_resv[which] = 0;
}

int
srv_sa_resume(struct server_client *c, const struct nvram_sa *sa, uint64_t seq_next,
	      uint64_t seq_resv)
{
	int rc = pair_new(&c->sec, sa);
	if (rc == RMC_OK) {
		c->seq_next[SRV_SA_CUR] = seq_next;
		c->seq_resv[SRV_SA_CUR] = seq_resv;
	}
	return rc;
}

void
srv_sa_forget(struct server_client *c)
{
	srv_sa_drop(c, SRV_SA_CUR);
	srv_sa_drop(c, SRV_SA_NEW);
	c->sec_lost = false;
}

int
srv_pair_for_spi(const struct server_client *c, uint32_t spi)
{
	/* the server's inbound SPI is the NIC's outbound: sec_pair.spi_in in SEC_SERVER role */
	if (c->sec && c->sec->spi_in == spi)
		return SRV_SA_CUR;
	if (c->nsec && c->nsec->spi_in == spi)
		return SRV_SA_NEW;
	return -1;
}

/*
 * The next outbound sequence number under pair `which`, reserved in the
 * store first (RFC 6311's idea): a successor resumes above anything this
 * server may have used, so no (SPI, sequence) pair is sent twice.
 */
static int
next_seq(struct server *s, struct server_client *c, int which, uint64_t *seq)
{
	uint64_t n = c->seq_next[which] + 1;
	if (n > c->seq_resv[which]) {
		uint64_t upto = n + s->cfg.seq_block - 1;
		const struct sec_pair *p = *pair_of(c, which);
		if (s->cfg.store &&
		    store_seq_reserve(s->cfg.store, c->name, p->spi_out, upto) != RMC_OK) {
			s->st.store_errors++;
			return RMC_EIO;
		}
		c->seq_resv[which] = upto;
	}
	c->seq_next[which] = n;
	*seq = n;
	return RMC_OK;
}

int
srv_seal_send(struct server *s, struct server_client *c, int which, uint16_t port,
	      const uint8_t *buf, size_t n, struct node_out *out)
{
	struct sec_pair *p = *pair_of(c, which);
	uint64_t seq;
	if (!p || !c->mac_known)
		return RMC_ESTATE;
	int rc = next_seq(s, c, which, &seq);
	if (rc)
		return rc;
	return netif_send_udp_sealed(&s->nif, out, p, seq, c->mac, c->ip, port, port, buf, n);
}

int
srv_open_secure(const struct server_client *c, const struct pkt *pk, uint8_t *inner,
		const uint8_t **data, size_t *dlen)
{
	size_t n;
	struct ipv4_hdr ih;
	struct udp_hdr uh;
	int which = srv_pair_for_spi(c, pkt_ipsec_spi(pk));
	struct sec_pair *p = which == SRV_SA_CUR ? c->sec : which == SRV_SA_NEW ? c->nsec : NULL;
	if (!p || sec_open_ipv4(p, pk->l3, pk->l3_len, inner, NODE_FRAME_MAX, &n))
		return RMC_ECRYPTO;
	if (ipv4_decode(inner, n, &ih) != RMC_OK || ih.proto != IPPROTO_UDP_ ||
	    udp_decode(inner + ih.ihl, ih.tot_len - ih.ihl, ih.src, ih.dst, &uh) != RMC_OK ||
	    uh.sport != RMCP_PORT_SECURE)
		return RMC_EINVAL;
	*data = inner + ih.ihl + UDP_HLEN;
	*dlen = uh.len - UDP_HLEN;
	return RMC_OK;
}

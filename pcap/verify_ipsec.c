/*
 * Port 664 and IPsec: every AH and ESP layer must belong to an SA of the
 * key files and carry a valid ICV; (SA, sequence) pairs and GCM nonces
 * (salt || IV, RFC 4106 §3.1: "MUST NOT" repeat for a key) are never
 * reused. Only layers that verified are counted as sent, so a forged
 * packet is one V-ICV, not a reuse as well.
 */
#include <stdio.h>
#include <string.h>

#include "pcap/verify_int.h"
#include "proto/ah.h"
#include "proto/err.h"
#include "proto/esp.h"
#include "proto/rd.h"

/* What one opened layer was, for the sequence and commit checks. */
struct layer {
	struct key_sa *k;
	uint32_t spi, seq;
};

static void
note_seq(struct verifier *v, const char *proto, const struct layer *l)
{
	uint64_t idx = (uint64_t)(l->k - v->keys->sa), *first;
	bool fresh;

	if (!(first = verify_seen(v, &v->seqs, idx, l->seq, &fresh)))
		return;
	if (fresh)
		*first = v->no;
	else
		verify_report(v, V_SEQ_REUSE, *first,
			      "%s SPI 0x%08x sequence %u was already sent in frame %llu", proto,
			      l->spi, l->seq, (unsigned long long)*first);
}

static void
note_nonce(struct verifier *v, const struct layer *l, const uint8_t iv[ESP_GCM_IV_LEN])
{
	uint64_t ivw = ((uint64_t)get_be32(iv) << 32) | get_be32(iv + 4), *first;
	bool fresh;

	if (!(first = verify_seen(v, &v->nonces, l->k->key_id, ivw, &fresh)))
		return;
	if (fresh)
		*first = v->no;
	else
		verify_report(v, V_NONCE_REUSE, *first,
			      "GCM nonce salt||%016llx under SPI 0x%08x (key %u) was already "
			      "used in frame %llu",
			      (unsigned long long)ivw, l->spi, l->k->key_id,
			      (unsigned long long)*first);
}

/* Maps what esp_open / ah_open refused to a finding. */
static void
report_open(struct verifier *v, const char *proto, const struct layer *l, int rc)
{
	if (rc == RMC_ECRYPTO)
		verify_report(v, V_ICV, 0, "%s SPI 0x%08x sequence %u: ICV does not verify", proto,
			      l->spi, l->seq);
	else
		verify_report(v, V_MALFORMED, 0, "%s SPI 0x%08x sequence %u: %s", proto, l->spi,
			      l->seq, rmc_strerror(rc));
}

static struct key_sa *
find_sa(struct verifier *v, const struct pkt *pk, enum sa_proto proto, uint32_t spi)
{
	char s[16], d[16];
	struct key_sa *k = keyring_find(v->keys, proto, spi, pk->ip.src, pk->ip.dst);

	if (!k)
		verify_report(v, proto == SA_PROTO_AH ? V_AH_UNKNOWN_SPI : V_ESP_UNKNOWN_SPI, 0,
			      "%s SPI 0x%08x from %s to %s is in no key file",
			      proto == SA_PROTO_AH ? "AH" : "ESP", spi,
			      verify_ip_str(pk->ip.src, s), verify_ip_str(pk->ip.dst, d));
	return k;
}

/* v->ip holds IP | AH | ...; on success IP | ... with *n updated. */
static int
open_ah(struct verifier *v, const struct pkt *pk, size_t *n, struct layer *l)
{
	struct ah_hdr h;
	int rc;

	v->st.ah++;
	if ((rc = ah_decode(v->ip + IPV4_HLEN, *n - IPV4_HLEN, &h))) {
		verify_report(v, V_MALFORMED, 0, "AH header: %s", rmc_strerror(rc));
		return rc;
	}
	l->spi = h.spi;
	l->seq = h.seq;
	if (!(l->k = find_sa(v, pk, SA_PROTO_AH, h.spi)))
		return RMC_ENOENT;
	/* A fresh window per packet: duplicates are judged here, not dropped. */
	replay_init(&l->k->sa.replay, l->k->sa.cfg.replay_window);
	if ((rc = ah_open_ipv4(&l->k->sa, v->ip, *n, v->ip, sizeof(v->ip), n))) {
		report_open(v, "AH", l, rc);
		return rc;
	}
	note_seq(v, "AH", l);
	return RMC_OK;
}

static int
open_esp(struct verifier *v, const struct pkt *pk, size_t *n, struct layer *l)
{
	uint8_t iv[ESP_GCM_IV_LEN];
	struct esp_hdr h;
	int rc;

	v->st.esp++;
	if ((rc = esp_decode(v->ip + IPV4_HLEN, *n - IPV4_HLEN, &h))) {
		verify_report(v, V_MALFORMED, 0, "ESP header: %s", rmc_strerror(rc));
		return rc;
	}
	l->spi = h.spi;
	l->seq = h.seq;
	if (!(l->k = find_sa(v, pk, SA_PROTO_ESP, h.spi)))
		return RMC_ENOENT;
	/* The IV is read before opening: esp_open decrypts in place. */
	bool gcm = l->k->sa.cfg.suite == SA_ESP_AES_GCM_16;
	if (gcm && *n >= IPV4_HLEN + ESP_HLEN + ESP_GCM_IV_LEN)
		memcpy(iv, v->ip + IPV4_HLEN + ESP_HLEN, sizeof(iv));
	replay_init(&l->k->sa.replay, l->k->sa.cfg.replay_window);
	if ((rc = esp_open_ipv4(&l->k->sa, v->ip, *n, v->ip, sizeof(v->ip), n))) {
		report_open(v, "ESP", l, rc);
		return rc;
	}
	note_seq(v, "ESP", l);
	if (gcm)
		note_nonce(v, l, iv);
	return RMC_OK;
}

/* The decrypted packet: RMCP on 664 is looked at for commit messages. */
static void
inspect_inner(struct verifier *v, size_t n, uint32_t spi)
{
	struct udp_hdr u;
	struct rmcp_msg m;
	uint32_t src = get_be32(v->ip + 12), dst = get_be32(v->ip + 16);
	int rc;

	if (v->ip[9] != IPPROTO_UDP_)
		return;
	if ((rc = udp_decode(v->ip + IPV4_HLEN, n - IPV4_HLEN, src, dst, &u))) {
		verify_report(v, V_MALFORMED, 0, "UDP inside IPsec: %s", rmc_strerror(rc));
		return;
	}
	if (!u.csum_ok) {
		verify_report(v, V_MALFORMED, 0, "UDP inside IPsec: bad checksum");
		return;
	}
	if (u.sport != RMCP_PORT_SECURE && u.dport != RMCP_PORT_SECURE)
		return;
	if ((rc = rmcp_decode(v->ip + IPV4_HLEN + UDP_HLEN, u.len - UDP_HLEN, &m))) {
		verify_report(v, V_MALFORMED, 0, "RMCP inside IPsec on port %u: %s",
			      RMCP_PORT_SECURE, rmc_strerror(rc));
		return;
	}
	if (!m.is_ack && m.iana == ASF_IANA_COMMIT)
		verify_commit(v, &m, spi);
}

void
verify_ipsec(struct verifier *v, const struct pkt *pk)
{
	struct layer ah = {0}, esp = {0};
	size_t n = pk->l3_len;

	if (pk->ip.ihl != IPV4_HLEN) {
		verify_report(v, V_MALFORMED, 0,
			      "IPsec under an IPv4 header with options (not supported)");
		return;
	}
	memcpy(v->ip, pk->l3, n);
	if (v->ip[9] == SA_PROTO_AH && open_ah(v, pk, &n, &ah))
		return;
	if (v->ip[9] == SA_PROTO_ESP && open_esp(v, pk, &n, &esp))
		return;
	v->st.opened++;
	inspect_inner(v, n, esp.k ? esp.spi : ah.spi);
}

/*
 * Shared by the verifier tests: real frames (proto/build.h), real ESP and
 * AH (proto/esp.h, proto/ah.h) written with pcap/trace.h, key files written
 * with keys_sa_line, and a collector of findings.
 *
 * Addresses: the server 10.0.0.1, the client 10.0.0.2. SAs: "c2s" protects
 * client -> server, "s2c" server -> client; each test SA has an outbound
 * copy (to seal) and its key line.
 */
#ifndef RMCPSEC_PCAP_TESTS_VERIFY_TEST_UTIL_H
#define RMCPSEC_PCAP_TESTS_VERIFY_TEST_UTIL_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap/keys.h"
#include "pcap/trace.h"
#include "pcap/verify.h"
#include "proto/ah.h"
#include "proto/build.h"
#include "proto/err.h"
#include "proto/esp.h"
#include "proto/rd.h"
#include "proto/rmcp.h"

enum {
	T_SERVER_IP = 0x0a000001,
	T_CLIENT_IP = 0x0a000002,
	T_EPHEMERAL = 49152,
	T_FRAME_MAX = 2048,
	T_MAX_FINDINGS = 64,
};

/* A trace being written, and the key file beside it. */
struct tb {
	char dir[400];
	char pcap[420];
	char keys[420];
	char ahkeys[420];
	struct trace *t;
	FILE *kf, *akf; /* esp_sa and ah_sa */
	struct frame_builder *fb;
	uint64_t now;
	uint64_t frames;
	uint16_t ip_id;
	uint8_t last[T_FRAME_MAX];
	size_t last_len;
};

/* A test SA: the sealing copy and where it goes. */
struct tsa {
	struct sa out;
	uint32_t src, dst;
};

static inline void
tb_open_in(struct tb *b, const char *dir)
{
	char err[256];

	memset(b, 0, sizeof(*b));
	snprintf(b->dir, sizeof(b->dir), "%s", dir);
	snprintf(b->pcap, sizeof(b->pcap), "%s/trace.pcap", dir);
	snprintf(b->keys, sizeof(b->keys), "%s/esp_sa", dir);
	snprintf(b->ahkeys, sizeof(b->ahkeys), "%s/ah_sa", dir);
	b->t = trace_open(b->pcap, err, sizeof(err));
	cr_assert_not_null(b->t, "%s", err);
	b->kf = fopen(b->keys, "w");
	b->akf = fopen(b->ahkeys, "w");
	cr_assert(b->kf && b->akf);
	b->fb = frame_builder_new();
	cr_assert_not_null(b->fb);
	b->now = 1000000000ull;
	b->ip_id = 100;
}

static inline void
tb_open(struct tb *b, const char *name)
{
	static const char six[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};
	char dir[128];

	snprintf(dir, sizeof(dir), "/tmp/rmcpsec-verify-%s-%s", name, six);
	cr_assert_not_null(mkdtemp(dir));
	tb_open_in(b, dir);
}

static inline void
tb_close(struct tb *b)
{
	if (b->t)
		cr_assert_eq(trace_close(b->t), 0);
	if (b->kf)
		fclose(b->kf);
	if (b->akf)
		fclose(b->akf);
	frame_builder_free(b->fb);
	b->t = NULL;
	b->kf = NULL;
	b->akf = NULL;
	b->fb = NULL;
}

/* Removes the files and the directory (tb_open's, not tb_open_in's callers). */
static inline void
tb_remove(struct tb *b)
{
	unlink(b->pcap);
	unlink(b->keys);
	unlink(b->ahkeys);
	rmdir(b->dir);
}

static inline void
tb_write(struct tb *b, const uint8_t *frame, size_t len)
{
	b->now += 1000000; /* 1 ms apart */
	trace_write(b->t, b->now, frame, len);
	b->frames++;
	cr_assert_leq(len, sizeof(b->last));
	memcpy(b->last, frame, len);
	b->last_len = len;
}

static inline struct l2l3
tb_addr(struct tb *b, uint32_t src, uint32_t dst)
{
	struct l2l3 a = {.src_ip = src, .dst_ip = dst, .ip_id = b->ip_id++};
	memcpy(a.src_mac, "\x02\x00\x00\x00\x00", 5);
	a.src_mac[5] = (uint8_t)src;
	memcpy(a.dst_mac, "\x02\x00\x00\x00\x00", 5);
	a.dst_mac[5] = (uint8_t)dst;
	return a;
}

/* Ethernet | IPv4 | UDP into out; returns the length. */
static inline size_t
tb_build_udp(struct tb *b, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
	     const uint8_t *payload, size_t plen, uint8_t *out)
{
	struct l2l3 a = tb_addr(b, src, dst);
	size_t n;

	cr_assert_eq(frame_build_udp(b->fb, &a, sp, dp, payload, plen, out, T_FRAME_MAX, &n), 0);
	return n;
}

/* A clear UDP frame. */
static inline void
tb_udp(struct tb *b, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, const uint8_t *payload,
       size_t plen)
{
	uint8_t f[T_FRAME_MAX];
	tb_write(b, f, tb_build_udp(b, src, dst, sp, dp, payload, plen, f));
}

/* Ethernet | IPv4 | ESP (| AH) | UDP, sealed with the given SAs (ah may be NULL, esp may be NULL).
 */
static inline void
tb_sealed(struct tb *b, struct tsa *ah, struct tsa *esp, uint16_t sp, uint16_t dp,
	  const uint8_t *payload, size_t plen)
{
	uint8_t f[T_FRAME_MAX];
	struct tsa *any = esp ? esp : ah;
	size_t n = tb_build_udp(b, any->src, any->dst, sp, dp, payload, plen, f), m;
	size_t iplen = get_be16(f + ETH_HLEN + 2);

	(void)n;
	if (ah && esp)
		cr_assert_eq(ipsec_bundle_seal_ipv4(&ah->out, &esp->out, f + ETH_HLEN, iplen,
						    f + ETH_HLEN, sizeof(f) - ETH_HLEN, &m),
			     0);
	else if (esp)
		cr_assert_eq(esp_seal_ipv4(&esp->out, f + ETH_HLEN, iplen, f + ETH_HLEN,
					   sizeof(f) - ETH_HLEN, &m),
			     0);
	else
		cr_assert_eq(ah_seal_ipv4(&ah->out, f + ETH_HLEN, iplen, f + ETH_HLEN,
					  sizeof(f) - ETH_HLEN, &m),
			     0);
	tb_write(b, f, ETH_HLEN + m);
}

/* A test SA of a suite; its key line goes to the key file when in_keys. */
static inline void
tb_sa(struct tb *b, struct tsa *s, enum sa_suite suite, uint32_t spi, uint32_t src, uint32_t dst,
      bool in_keys)
{
	struct sa_config c = {0};
	char line[512];
	int n;

	c.spi = spi;
	c.suite = suite;
	if (suite != SA_AH_HMAC_SHA256) {
		c.enc_key_len = 16;
		for (size_t i = 0; i < 16; i++)
			c.enc_key[i] = (uint8_t)((spi >> 12) * 16 + (spi & 0xff) + i);
		memcpy(c.salt, "\x01\x02\x03\x04", 4);
	}
	if (suite != SA_ESP_AES_GCM_16) {
		c.auth_key_len = 32;
		for (size_t i = 0; i < 32; i++)
			c.auth_key[i] = (uint8_t)(0x80 + spi + i);
	}
	cr_assert_eq(sa_init(&s->out, &c, SA_DIR_OUT), 0);
	s->src = src;
	s->dst = dst;
	if (!in_keys)
		return;
	n = keys_sa_line(&s->out, src, dst, line, sizeof(line));
	cr_assert_gt(n, 0);
	FILE *f = suite == SA_AH_HMAC_SHA256 ? b->akf : b->kf;
	fputs(line, f);
	fflush(f);
}

/* An RMCP/ASF body-less message (Ping, the requests) as UDP payload. */
static inline size_t
tb_asf(uint8_t type, uint8_t seq, uint8_t *out)
{
	struct rmcp_msg m = {0};
	size_t n;

	m.seq = seq;
	m.tag = seq;
	cr_assert_eq(asf_command_encode(type, NULL, &m), 0);
	cr_assert_eq(rmcp_encode(&m, out, 64, &n), 0);
	return n;
}

static inline size_t
tb_pong(uint8_t seq, uint8_t *out)
{
	struct rmcp_msg m = {0};
	struct asf_pong p = {.iana = ASF_IANA, .entities = ASF_ENTITY_ASF_V1};
	size_t n;

	m.seq = seq;
	m.tag = seq;
	cr_assert_eq(asf_pong_encode(&p, &m), 0);
	cr_assert_eq(rmcp_encode(&m, out, 64, &n), 0);
	return n;
}

/* A commit message (IANA 32473) with the body docs/users/verify.md defines. */
static inline size_t
tb_commit(uint8_t type, uint32_t in, uint32_t out_spi, uint32_t txid, uint32_t gen, uint8_t *out)
{
	struct rmcp_msg m = {0};
	size_t n;

	m.seq = RMCP_SEQ_NOACK;
	m.iana = ASF_IANA_COMMIT;
	m.type = type;
	m.data_len = 16;
	put_be32(m.data, in);
	put_be32(m.data + 4, out_spi);
	put_be32(m.data + 8, txid);
	put_be32(m.data + 12, gen);
	cr_assert_eq(rmcp_encode(&m, out, 64, &n), 0);
	return n;
}

/* Findings collected from a verifier run. */
struct got {
	struct verify_finding f[T_MAX_FINDINGS];
	size_t n;
};

static inline void
got_emit(void *arg, const struct verify_finding *f)
{
	struct got *g = arg;
	if (g->n < T_MAX_FINDINGS)
		g->f[g->n] = *f;
	g->n++;
}

/* Verifies b's trace with b's key file and the policy (NULL: default). */
static inline int
tb_verify(struct tb *b, const struct verify_policy *p, struct got *g, struct verify_stats *st)
{
	struct keyring kr = {0};
	struct verify_policy def;
	char err[512];
	int rc;

	memset(g, 0, sizeof(*g));
	verify_policy_default(&def);
	cr_assert_eq(keyring_load(&kr, b->keys, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keyring_load(&kr, b->ahkeys, err, sizeof(err)), 0, "%s", err);
	rc = verify_trace(b->pcap, p ? p : &def, &kr, got_emit, g, st, err, sizeof(err));
	keyring_free(&kr);
	verify_policy_free(&def);
	return rc;
}

static inline void
got_print(const struct got *g)
{
	for (size_t i = 0; i < g->n && i < T_MAX_FINDINGS; i++)
		cr_log_info("frame %llu: %s: %s", (unsigned long long)g->f[i].frame,
			    verify_id_name(g->f[i].id), g->f[i].text);
}

/* Exactly one finding, with this id, on this frame. */
static inline void
got_one(const struct got *g, enum verify_id id, uint64_t frame)
{
	got_print(g);
	cr_assert_eq(g->n, 1, "want exactly one finding, got %zu", g->n);
	cr_assert_str_eq(verify_id_name(g->f[0].id), verify_id_name(id));
	cr_assert_eq(g->f[0].frame, frame, "finding on frame %llu, want %llu",
		     (unsigned long long)g->f[0].frame, (unsigned long long)frame);
}

#endif

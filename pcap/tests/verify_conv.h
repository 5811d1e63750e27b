/*
 * A conversation between the test server and client (verify_test_util.h)
 * under every suite, and its pieces, shared by the verifier tests and the
 * generator of the committed traces in tests/data/verify/.
 */
#ifndef RMCPSEC_PCAP_TESTS_VERIFY_CONV_H
#define RMCPSEC_PCAP_TESTS_VERIFY_CONV_H

#include "verify_test_util.h"

/* The SAs of a conversation between server and client. */
struct conv {
	struct tb b;
	struct tsa gcm_s2c, gcm_c2s, cbc_s2c, cbc_c2s, ah_s2c, ahesp_s2c, new_c2s, new_s2c;
};

enum {
	SPI_GCM_S2C = 0x1001,
	SPI_GCM_C2S = 0x1002,
	SPI_CBC_S2C = 0x2001,
	SPI_CBC_C2S = 0x2002,
	SPI_AH_S2C = 0x3001,
	SPI_AHESP_S2C = 0x3002,
	SPI_NEW_C2S = 0x4001,
	SPI_NEW_S2C = 0x4002,
	TXID = 7,
};

static inline void
conv_add_sas(struct conv *c)
{
	struct tb *b = &c->b;

	tb_sa(b, &c->gcm_s2c, SA_ESP_AES_GCM_16, SPI_GCM_S2C, T_SERVER_IP, T_CLIENT_IP, true);
	tb_sa(b, &c->gcm_c2s, SA_ESP_AES_GCM_16, SPI_GCM_C2S, T_CLIENT_IP, T_SERVER_IP, true);
	tb_sa(b, &c->cbc_s2c, SA_ESP_AES_CBC_HMAC_SHA256, SPI_CBC_S2C, T_SERVER_IP, T_CLIENT_IP,
	      true);
	tb_sa(b, &c->cbc_c2s, SA_ESP_AES_CBC_HMAC_SHA256, SPI_CBC_C2S, T_CLIENT_IP, T_SERVER_IP,
	      true);
	tb_sa(b, &c->ah_s2c, SA_AH_HMAC_SHA256, SPI_AH_S2C, T_SERVER_IP, T_CLIENT_IP, true);
	tb_sa(b, &c->ahesp_s2c, SA_ESP_AES_GCM_16, SPI_AHESP_S2C, T_SERVER_IP, T_CLIENT_IP, true);
	tb_sa(b, &c->new_c2s, SA_ESP_AES_GCM_16, SPI_NEW_C2S, T_CLIENT_IP, T_SERVER_IP, true);
	tb_sa(b, &c->new_s2c, SA_ESP_AES_GCM_16, SPI_NEW_S2C, T_SERVER_IP, T_CLIENT_IP, true);
}

static inline void
conv_open(struct conv *c, const char *name)
{
	tb_open(&c->b, name);
	conv_add_sas(c);
}

/* In an existing directory (the committed test data). */
static inline void
conv_open_in(struct conv *c, const char *dir)
{
	tb_open_in(&c->b, dir);
	conv_add_sas(c);
}

static inline void
conv_free(struct conv *c)
{
	struct tsa *all[] = {&c->gcm_s2c, &c->gcm_c2s,	 &c->cbc_s2c, &c->cbc_c2s,
			     &c->ah_s2c,  &c->ahesp_s2c, &c->new_c2s, &c->new_s2c};
	tb_close(&c->b);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		sa_clear(&all[i]->out);
}

static inline void
conv_close(struct conv *c)
{
	conv_free(c);
	tb_remove(&c->b);
}

/* Ping under s, Pong under r, both on port 664. */
static inline void
secured_ping(struct conv *c, struct tsa *ah, struct tsa *s, struct tsa *r, uint8_t seq)
{
	uint8_t p[64];
	size_t n = tb_asf(ASF_PRESENCE_PING, seq, p);
	tb_sealed(&c->b, ah, s, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	n = tb_pong(seq, p);
	tb_sealed(&c->b, NULL, r, RMCP_PORT_SECURE, T_EPHEMERAL, p, n);
}

static inline void
clear_ping(struct conv *c, uint8_t seq)
{
	uint8_t p[64];
	size_t n = tb_asf(ASF_PRESENCE_PING, seq, p);
	tb_udp(&c->b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, RMCP_PORT_CLEAR, p, n);
	n = tb_pong(seq, p);
	tb_udp(&c->b, T_CLIENT_IP, T_SERVER_IP, RMCP_PORT_CLEAR, T_EPHEMERAL, p, n);
}

static inline void
commit_msg(struct conv *c, struct tsa *under, uint8_t type)
{
	uint8_t p[64];
	size_t n = tb_commit(type, SPI_NEW_S2C, SPI_NEW_C2S, TXID, 1, p);
	tb_sealed(&c->b, NULL, under, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
}

/* Every kind of legitimate traffic: 18 frames. */
static inline void
good_conversation(struct conv *c)
{
	uint8_t arp[T_FRAME_MAX], mac[ETH_ALEN] = {2, 0, 0, 0, 0, 1};
	size_t n;

	clear_ping(c, 1);					    /* 1, 2 */
	secured_ping(c, NULL, &c->gcm_s2c, &c->gcm_c2s, 2);	    /* 3, 4 */
	secured_ping(c, NULL, &c->cbc_s2c, &c->cbc_c2s, 3);	    /* 5, 6 */
	secured_ping(c, &c->ah_s2c, &c->ahesp_s2c, &c->gcm_c2s, 4); /* 7, 8 */
	secured_ping(c, &c->ah_s2c, NULL, &c->gcm_c2s, 5);	    /* 9, 10 */
	commit_msg(c, &c->new_c2s, ASF_COMMIT_READY);		    /* 11 */
	commit_msg(c, &c->new_s2c, ASF_COMMIT_ACK);		    /* 12 */
	commit_msg(c, &c->new_c2s, ASF_COMMIT_READY);		    /* 13: a retransmission */
	commit_msg(c, &c->new_c2s, ASF_COMMIT_CONFIRM);		    /* 14 */
	secured_ping(c, NULL, &c->new_s2c, &c->new_c2s, 6);	    /* 15, 16 */
	cr_assert_eq(frame_build_arp(c->b.fb, ARP_OP_REQUEST, mac, T_SERVER_IP, NULL, T_CLIENT_IP,
				     NULL, arp, sizeof(arp), &n),
		     0);
	tb_write(&c->b, arp, n); /* 17 */
	tb_write(&c->b, arp, n); /* 18: a repeated ARP request is identical, and fine */
}

#endif

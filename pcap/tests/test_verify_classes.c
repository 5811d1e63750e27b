/*
 * The smaller classes of findings, one frame each: what is malformed
 * under IPsec or on the clear port, and clear RMCP that is not ASF or not
 * under ASF's IANA number.
 */
#include "verify_conv.h"

/* One case: a fresh conversation, one frame written by make, one finding on frame 1. */
static void
one_frame(const char *name, void (*make)(struct conv *c), enum verify_id id)
{
	struct conv c;
	struct got g;

	conv_open(&c, name);
	make(&c);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	cr_log_info("%s:", name);
	got_one(&g, id, 1);
	conv_close(&c);
}

static void
clear_payload(struct conv *c, const uint8_t *p, size_t n)
{
	tb_udp(&c->b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, RMCP_PORT_CLEAR, p, n);
}

static void
make_short_pong(struct conv *c)
{
	uint8_t p[64];

	tb_pong(1, p);
	p[RMCP_HLEN + 7] = 3; /* a Presence Pong of 3 data bytes (DSP0136 §3.2.4.3: 16) */
	clear_payload(c, p, RMCP_HLEN + ASF_HLEN + 3);
}

static void
make_ipmi_class(struct conv *c)
{
	uint8_t p[] = {RMCP_VERSION, 0, 0xff, 0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};

	clear_payload(c, p, sizeof(p));
}

static void
make_other_iana(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_asf(ASF_PRESENCE_PING, 1, p);

	put_be32(p + RMCP_HLEN, 1234);
	clear_payload(c, p, n);
}

static void
make_commit_unknown_type(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_commit(9, SPI_NEW_S2C, SPI_NEW_C2S, TXID, 1, p);

	tb_sealed(&c->b, NULL, &c->new_c2s, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
}

static void
make_not_rmcp_under_esp(struct conv *c)
{
	tb_sealed(&c->b, NULL, &c->gcm_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, (const uint8_t *)"hello",
		  5);
}

static void
short_ipsec(struct conv *c, uint8_t proto)
{
	uint8_t f[T_FRAME_MAX], p[6] = {0, 0, 0x10, 0x01, 0, 0};
	struct l2l3 a = tb_addr(&c->b, T_SERVER_IP, T_CLIENT_IP);
	size_t n;

	cr_assert_eq(frame_build_ipv4(c->b.fb, &a, proto, p, sizeof(p), f, sizeof(f), &n), 0);
	tb_write(&c->b, f, n);
}

static void
make_short_esp(struct conv *c)
{
	short_ipsec(c, IPPROTO_ESP_);
}

static void
make_short_ah(struct conv *c)
{
	short_ipsec(c, IPPROTO_AH_);
}

/* A valid ESP frame with 4 bytes of IPv4 options (NOPs) slipped in, checksum fixed. */
static void
make_esp_with_ip_options(struct conv *c)
{
	uint8_t p[64], f[T_FRAME_MAX];
	size_t n = tb_asf(ASF_PRESENCE_PING, 1, p);

	tb_sealed(&c->b, NULL, &c->gcm_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	n = c->b.last_len;
	memcpy(f, c->b.last, ETH_HLEN + 20);
	memset(f + ETH_HLEN + 20, 1, 4);
	memcpy(f + ETH_HLEN + 24, c->b.last + ETH_HLEN + 20, n - ETH_HLEN - 20);
	f[ETH_HLEN] = 0x46;
	put_be16(f + ETH_HLEN + 2, (uint16_t)(get_be16(f + ETH_HLEN + 2) + 4));
	put_be16(f + ETH_HLEN + 10, 0);
	put_be16(f + ETH_HLEN + 10, inet_csum(f + ETH_HLEN, 24, 0));
	/* Replace the frame just written: a fresh trace holds only this one. */
	cr_assert_eq(trace_close(c->b.t), 0);
	char err[256];
	c->b.t = trace_open(c->b.pcap, err, sizeof(err));
	cr_assert_not_null(c->b.t, "%s", err);
	tb_write(&c->b, f, n + 4);
}

Test(verify_classes, asf_body_of_the_wrong_length_in_the_clear)
{
	one_frame("shortpong", make_short_pong, V_MALFORMED);
}

Test(verify_classes, rmcp_class_other_than_asf_in_the_clear)
{
	one_frame("ipmi", make_ipmi_class, V_CLEAR_MSG);
}

Test(verify_classes, another_iana_number_in_the_clear)
{
	one_frame("iana", make_other_iana, V_CLEAR_MSG);
}

Test(verify_classes, commit_message_of_unknown_type)
{
	one_frame("committype", make_commit_unknown_type, V_MALFORMED);
}

Test(verify_classes, not_rmcp_on_664_under_esp)
{
	one_frame("notrmcp", make_not_rmcp_under_esp, V_MALFORMED);
}

Test(verify_classes, esp_and_ah_headers_too_short)
{
	one_frame("shortesp", make_short_esp, V_MALFORMED);
	one_frame("shortah", make_short_ah, V_MALFORMED);
}

Test(verify_classes, ipsec_under_ipv4_options)
{
	one_frame("ipopts", make_esp_with_ip_options, V_MALFORMED);
}

/* Shared by the IPsec tests: hex parsing, SA pairs, a sample IPv4/UDP packet. */
#ifndef RMCPSEC_PROTO_TESTS_IPSEC_TEST_UTIL_H
#define RMCPSEC_PROTO_TESTS_IPSEC_TEST_UTIL_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/rd.h"
#include "proto/sa.h"

static inline size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s) {
		if (*s == ' ') {
			s++;
			continue;
		}
		cr_assert(n < cap && sscanf(s, "%2x", &v) == 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

static inline struct sa_config
test_config(enum sa_suite suite, size_t keylen, bool esn, uint32_t spi)
{
	struct sa_config c = {0};

	c.spi = spi;
	c.suite = suite;
	c.esn = esn;
	c.enc_key_len = suite == SA_AH_HMAC_SHA256 ? 0 : keylen;
	for (size_t i = 0; i < c.enc_key_len; i++)
		c.enc_key[i] = (uint8_t)(0x10 + i);
	memcpy(c.salt, "\xca\xfe\xba\xbe", 4);
	if (suite != SA_ESP_AES_GCM_16) {
		c.auth_key_len = 32;
		for (size_t i = 0; i < 32; i++)
			c.auth_key[i] = (uint8_t)(0xa0 + i);
	}
	return c;
}

static inline void
test_pair(struct sa *out, struct sa *in, const struct sa_config *c)
{
	cr_assert_eq(sa_init(out, c, SA_DIR_OUT), 0);
	cr_assert_eq(sa_init(in, c, SA_DIR_IN), 0);
}

/* IPv4 10.66.0.1 -> 10.66.0.2, UDP 49152 -> 664, payload plen bytes. */
static inline size_t
test_ipv4_udp(uint8_t *p, const uint8_t *payload, size_t plen)
{
	size_t tot = 20 + 8 + plen;
	uint32_t sum = 0;

	memset(p, 0, 28);
	p[0] = 0x45;
	p[1] = 0x10; /* a TOS, so that AH zeroing mutable fields matters */
	put_be16(p + 2, (uint16_t)tot);
	put_be16(p + 4, 0x1234);
	p[6] = 0x40; /* DF */
	p[8] = 64;
	p[9] = 17;
	put_be32(p + 12, 0x0a420001);
	put_be32(p + 16, 0x0a420002);
	for (int i = 0; i < 20; i += 2)
		sum += get_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put_be16(p + 10, (uint16_t)~sum);
	put_be16(p + 20, 49152);
	put_be16(p + 22, 664);
	put_be16(p + 24, (uint16_t)(8 + plen));
	memcpy(p + 28, payload, plen);
	return tot;
}

static inline int
test_ipv4_csum_ok(const uint8_t *p)
{
	uint32_t sum = 0;

	for (int i = 0; i < 20; i += 2)
		sum += get_be16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* A fresh directory /tmp/rmcpsec-NAME-?????? (mkdtemp's six-letter template). */
static inline void
test_tmpdir(char *buf, size_t cap, const char *name)
{
	static const char six[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};

	snprintf(buf, cap, "/tmp/rmcpsec-%s-%s", name, six);
	cr_assert_not_null(mkdtemp(buf));
}

#endif

/*
 * The exported ikev2_decryption_table lets tshark decrypt our IKE_AUTH and
 * CREATE_CHILD_SA: a full run (handshake, CHILD_SA rekey, IKE SA rekey,
 * rekey on the new SA) is written to a hand-built pcap (Ethernet/IPv4/UDP
 * 500) and tshark must show the inner payloads only when given the keys.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "nodes/tests/test_ike_harness.h"
#include "proto/ikev2_wireshark.h"

static struct h_net net;
static struct h_peer A, B;

enum { MAX_FRAMES = 32 };
static struct {
	int from;
	uint8_t b[IKEV2_MSG_MAX];
	size_t len;
} trace[MAX_FRAMES];
static size_t ntrace;

static bool
record(struct h_net *n, struct h_msg *m)
{
	(void)n;
	cr_assert_lt(ntrace, MAX_FRAMES);
	trace[ntrace].from = !m->to;
	memcpy(trace[ntrace].b, m->b, m->len);
	trace[ntrace].len = m->len;
	ntrace++;
	return true;
}

static void
put32le(FILE *f, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	fwrite(b, 1, 4, f);
}

static uint16_t
ip_csum(const uint8_t *h)
{
	uint32_t s = 0;
	for (int i = 0; i < 20; i += 2)
		s += get_be16(h + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* libpcap format: 24-octet global header, then 16-octet record headers. */
static void
write_pcap(const char *path)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	put32le(f, 0xa1b2c3d4);
	uint8_t ver[4] = {2, 0, 4, 0};
	fwrite(ver, 1, 4, f);
	put32le(f, 0);
	put32le(f, 0);
	put32le(f, 65535);
	put32le(f, 1); /* LINKTYPE_ETHERNET */
	for (size_t i = 0; i < ntrace; i++) {
		uint8_t fr[14 + 20 + 8 + IKEV2_MSG_MAX];
		uint8_t mac[2][6] = {{2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}};
		uint32_t ip[2] = {0x0a000001, 0x0a000002};
		int s = trace[i].from, d = !s;
		size_t ulen = 8 + trace[i].len, tot = 20 + ulen;
		memcpy(fr, mac[d], 6);
		memcpy(fr + 6, mac[s], 6);
		put_be16(fr + 12, 0x0800);
		uint8_t *iph = fr + 14;
		memset(iph, 0, 20);
		iph[0] = 0x45;
		put_be16(iph + 2, (uint16_t)tot);
		iph[8] = 64;
		iph[9] = 17;
		put_be32(iph + 12, ip[s]);
		put_be32(iph + 16, ip[d]);
		put_be16(iph + 10, ip_csum(iph));
		uint8_t *udp = iph + 20;
		put_be16(udp, 500);
		put_be16(udp + 2, 500);
		put_be16(udp + 4, (uint16_t)ulen);
		put_be16(udp + 6, 0); /* no checksum (RFC 768, IPv4) */
		memcpy(udp + 8, trace[i].b, trace[i].len);
		put32le(f, (uint32_t)(1 + i));
		put32le(f, 0);
		put32le(f, (uint32_t)(14 + tot));
		put32le(f, (uint32_t)(14 + tot));
		fwrite(fr, 1, 14 + tot, f);
	}
	fclose(f);
}

/* Runs tshark and counts output lines that contain `needle`. */
static size_t
tshark_count(const char *pcap, const char *uat_opts, const char *fields, const char *needle)
{
	char cmd[4096], line[1024];
	snprintf(cmd, sizeof(cmd), "tshark -n -r %s %s -T fields %s 2>/dev/null", pcap, uat_opts,
		 fields);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t k = 0;
	while (fgets(line, sizeof(line), p))
		k += strstr(line, needle) != NULL;
	pclose(p);
	return k;
}

Test(ike_wireshark, line_format)
{
	struct ikev2_keys k = {0};
	char out[512];
	k.encr_len = 20;
	memset(k.sk_ei, 0xab, 20);
	memset(k.sk_er, 0x01, 20);
	cr_assert_eq(ikev2_wireshark_line(0x0102030405060708ull, 0xa0b0c0d0e0f00010ull, &k, out,
					  sizeof(out)),
		     0);
	cr_assert_str_eq(out, "0102030405060708,a0b0c0d0e0f00010,"
			      "abababababababababababababababababababab,"
			      "0101010101010101010101010101010101010101,"
			      "\"AES-GCM-128 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"");
	cr_assert_eq(ikev2_wireshark_line(1, 2, &k, out, 40), RMC_ENOSPC);
	k.encr_len = 16;
	cr_assert_eq(ikev2_wireshark_line(1, 2, &k, out, sizeof(out)), RMC_EUNSUP);
}

Test(ike_wireshark, tshark_decrypts_auth_and_create_child, .timeout = 120)
{
	char line1[512], line2[512], uat[1400], pcap[] = "/tmp/rmcpsec-ike-XXXXXX";
	int fd = mkstemp(pcap);
	cr_assert_geq(fd, 0);
	close(fd);

	h_setup(&net, &A, &B);
	cr_assert_eq(ike_wireshark_line(&A.e, line1, sizeof(line1)), RMC_ESTATE);
	A.e.cfg.pfs = B.e.cfg.pfs = true;
	net.filter = record;
	h_handshake(&net);
	cr_assert_eq(
	    ikev2_wireshark_line(A.e.sa.spi_i, A.e.sa.spi_r, &A.e.sa.keys, line1, sizeof(line1)),
	    0);
	ike_rekey_child(&A.e, 0, A.e.child[0].sa.spi_in, &A.o);
	h_collect(&net, 0);
	h_pump(&net);
	ike_rekey_ike(&B.e, 0, &B.o);
	h_collect(&net, 1);
	h_pump(&net);
	cr_assert_eq(ike_wireshark_line(&A.e, line2, sizeof(line2)), 0);
	char line2b[512];
	cr_assert_eq(ike_wireshark_line(&B.e, line2b, sizeof(line2b)), 0);
	cr_assert_str_eq(line2, line2b); /* both ends export the same record */
	const struct ike_child_sa *c = NULL;
	for (size_t i = 0; i < IKE_MAX_CHILDREN && !c; i++)
		if (A.e.child[i].used)
			c = &A.e.child[i].sa;
	ike_rekey_child(&A.e, 0, c->spi_in, &A.o);
	h_collect(&net, 0);
	h_pump(&net);
	cr_assert_eq(A.e.state, IKE_S_ESTABLISHED);
	write_pcap(pcap);
	/* single quotes around each record: the shell passes the double quotes through */
	snprintf(uat, sizeof(uat),
		 "-o 'uat:ikev2_decryption_table:%s' -o 'uat:ikev2_decryption_table:%s'", line1,
		 line2);

	/* Without keys nothing inside SK is visible. */
	cr_assert_eq(tshark_count(pcap, "", "-Y isakmp.auth.method -e frame.number", ""), 0);
	/* IKE_AUTH request and response each show AUTH method 2 (shared key). */
	cr_assert_eq(tshark_count(pcap, uat, "-Y isakmp.auth.method==2 -e frame.number", ""), 2);
	/* CREATE_CHILD_SA: REKEY_SA notifies (16393) on the first and the rekeyed IKE SA. */
	cr_assert_eq(tshark_count(pcap, uat, "-Y isakmp.notify.msgtype==16393 -e frame.number", ""),
		     2);
	/* All six CREATE_CHILD_SA messages (two IKE SAs) decrypt and show their nonce. */
	cr_assert_eq(tshark_count(pcap, uat,
				  "-Y 'isakmp.exchangetype==36 && isakmp.nonce' -e frame.number",
				  ""),
		     6);
	unlink(pcap);
}

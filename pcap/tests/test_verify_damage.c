/*
 * Random-free damage over every frame of the good conversation: each
 * truncation inside the IPv4 packet and each single bit flip inside it
 * must give at least one finding (checksums, SPI lookup or ICV catch
 * them all) and never crash; the untouched frames give none.
 */
#include "pcap/reader.h"
#include "verify_conv.h"

enum { MAX_FRAMES = 32 };

struct frames {
	uint8_t data[MAX_FRAMES][T_FRAME_MAX];
	size_t len[MAX_FRAMES];
	size_t n;
};

static void
read_back(const char *path, struct frames *fr)
{
	char err[256];
	struct reader_frame f;
	struct reader *r = reader_open(path, err, sizeof(err));
	int rc;

	cr_assert_not_null(r, "%s", err);
	while ((rc = reader_next(r, &f, err, sizeof(err))) == 1) {
		cr_assert_lt(fr->n, MAX_FRAMES);
		memcpy(fr->data[fr->n], f.data, f.caplen);
		fr->len[fr->n++] = f.caplen;
	}
	cr_assert_eq(rc, 0, "%s", err);
	reader_close(r);
}

/*
 * Findings for one frame fed alone to a fresh verifier, leaving out
 * V-COMMIT-ORDER: an SA_ACK alone rightly lacks its SA_READY.
 */
static uint64_t
judge(struct keyring *kr, const uint8_t *f, size_t len)
{
	struct verify_policy p;
	struct got g;
	struct verifier *v;
	uint64_t n;

	memset(&g, 0, sizeof(g));
	verify_policy_default(&p);
	v = verifier_new(&p, kr, got_emit, &g);
	cr_assert_not_null(v);
	verify_frame(v, 1, 0, f, len, len);
	cr_assert_eq(verifier_stats(v)->findings, g.n);
	n = g.n - verifier_stats(v)->by_id[V_COMMIT_ORDER];
	verifier_free(v);
	verify_policy_free(&p);
	return n;
}

Test(verify_damage, every_truncation_and_bit_flip_is_found)
{
	static struct frames fr;
	struct conv c;
	struct keyring kr = {0};
	char err[256];
	uint64_t cases = 0;

	conv_open(&c, "damage");
	good_conversation(&c);
	tb_close(&c.b);
	read_back(c.b.pcap, &fr);
	cr_assert_eq(keyring_load(&kr, c.b.keys, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keyring_load(&kr, c.b.ahkeys, err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < fr.n; i++) {
		uint8_t *f = fr.data[i];
		size_t len = fr.len[i];

		cr_assert_eq(judge(&kr, f, len), 0, "frame %zu alone", i + 1);
		if (get_be16(f + 12) != ETH_P_IPV4)
			continue; /* ARP: nothing the verifier judges */
		size_t end = ETH_HLEN + get_be16(f + ETH_HLEN + 2);
		for (size_t cut = 0; cut < end; cut++, cases++)
			cr_assert_geq(judge(&kr, f, cut), 1, "frame %zu cut to %zu bytes", i + 1,
				      cut);
		for (size_t bit = ETH_HLEN * 8; bit < end * 8; bit++, cases++) {
			f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			cr_assert_geq(judge(&kr, f, len), 1, "frame %zu bit %zu flipped", i + 1,
				      bit);
			f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	cr_log_info("%llu damaged frames, each found", (unsigned long long)cases);
	cr_assert_gt(cases, 10000);
	keyring_free(&kr);
	conv_close(&c);
}

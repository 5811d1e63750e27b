/*
 * The committed traces in tests/data/verify/ (used by tests/e2e/verify.sh):
 * each is regenerated here and must equal the committed bytes, and each
 * committed trace must give exactly its finding. Run with
 * RMCPSEC_REGEN_VERIFY_DATA=1 to rewrite them after a deliberate change.
 */
#include <sys/stat.h>

#include "verify_conv.h"

static void
make_good(struct conv *c)
{
	good_conversation(c);
}

static void
make_clear_664(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_asf(ASF_PRESENCE_PING, 9, p);

	good_conversation(c);
	tb_udp(&c->b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
}

static void
make_unknown_spi(struct conv *c)
{
	struct tsa stray;
	FILE *kf = c->b.kf;

	c->b.kf = fopen("/dev/null", "w"); /* the stray SA's key goes nowhere */
	tb_sa(&c->b, &stray, SA_ESP_AES_GCM_16, 0x9999, T_SERVER_IP, T_CLIENT_IP, true);
	fclose(c->b.kf);
	c->b.kf = kf;
	good_conversation(c);
	secured_ping(c, NULL, &stray, &c->gcm_c2s, 9);
	sa_clear(&stray.out);
}

static void
make_icv(struct conv *c)
{
	uint8_t f[T_FRAME_MAX];

	good_conversation(c);
	secured_ping(c, NULL, &c->gcm_s2c, &c->gcm_c2s, 9);
	memcpy(f, c->b.last, c->b.last_len);
	f[c->b.last_len - 1] ^= 0x01;
	tb_write(&c->b, f, c->b.last_len);
}

static void
make_seq_reuse(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_asf(ASF_SYSTEM_STATE_REQ, 9, p);

	good_conversation(c);
	c->cbc_s2c.out.seq = 0;
	tb_sealed(&c->b, NULL, &c->cbc_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
}

static int
constant_iv(void *arg, uint64_t seq, uint8_t *iv, size_t len)
{
	(void)arg;
	(void)seq;
	memset(iv, 0, len);
	iv[len - 1] = 1; /* the IV of sequence number 1 */
	return 0;
}

static void
make_nonce_reuse(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_asf(ASF_SYSTEM_STATE_REQ, 9, p);

	good_conversation(c);
	c->gcm_s2c.out.iv_fn = constant_iv;
	tb_sealed(&c->b, NULL, &c->gcm_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
}

static void
make_dup(struct conv *c)
{
	good_conversation(c);
	secured_ping(c, NULL, &c->gcm_s2c, &c->gcm_c2s, 9);
	tb_write(&c->b, c->b.last, c->b.last_len);
}

static void
make_clear_port(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_asf(ASF_PRESENCE_PING, 9, p);

	good_conversation(c);
	tb_udp(&c->b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, 700, p, n);
}

static void
make_clear_msg(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_commit(ASF_COMMIT_READY, SPI_NEW_S2C, SPI_NEW_C2S, TXID + 1, 2, p);

	good_conversation(c);
	tb_udp(&c->b, T_CLIENT_IP, T_SERVER_IP, T_EPHEMERAL, RMCP_PORT_CLEAR, p, n);
}

static void
make_commit_order(struct conv *c)
{
	uint8_t p[64];
	size_t n = tb_commit(ASF_COMMIT_CONFIRM, SPI_NEW_S2C, SPI_NEW_C2S, TXID + 1, 2, p);

	good_conversation(c);
	tb_sealed(&c->b, NULL, &c->new_c2s, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
}

static void
make_malformed(struct conv *c)
{
	uint8_t f[T_FRAME_MAX];

	good_conversation(c);
	clear_ping(c, 9);
	memcpy(f, c->b.last, c->b.last_len);
	f[ETH_HLEN + 10] ^= 0xff; /* the IPv4 header checksum */
	tb_write(&c->b, f, c->b.last_len);
}

struct dcase {
	const char *name;
	void (*make)(struct conv *c);
	int id; /* -1: no finding */
	uint64_t frame;
};

static const struct dcase cases[] = {
    {"good", make_good, -1, 0},
    {"clear_664", make_clear_664, V_CLEAR_664, 19},
    {"unknown_spi", make_unknown_spi, V_ESP_UNKNOWN_SPI, 19},
    {"icv", make_icv, V_ICV, 21},
    {"seq_reuse", make_seq_reuse, V_SEQ_REUSE, 19},
    {"nonce_reuse", make_nonce_reuse, V_NONCE_REUSE, 19},
    {"dup", make_dup, V_DUP, 21},
    {"clear_port", make_clear_port, V_CLEAR_PORT, 19},
    {"clear_msg", make_clear_msg, V_CLEAR_MSG, 19},
    {"commit_order", make_commit_order, V_COMMIT_ORDER, 19},
    {"malformed", make_malformed, V_MALFORMED, 21},
};

static void
data_dir(const struct dcase *d, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/tests/data/verify/%s", RMCPSEC_SRC_DIR, d->name);
}

static void
generate(const struct dcase *d, const char *dir)
{
	struct conv c;

	conv_open_in(&c, dir);
	d->make(&c);
	conv_free(&c);
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, cap, f);
	cr_assert(feof(f), "%s is larger than the test expects", path);
	fclose(f);
	return n;
}

static void
same_file(const char *a, const char *b)
{
	static uint8_t x[65536], y[65536];
	size_t n = slurp(a, x, sizeof(x)), m = slurp(b, y, sizeof(y));

	cr_assert_eq(n, m, "%s and %s differ in length", a, b);
	cr_assert_arr_eq(x, y, n, "%s differs from what the generator writes now", b);
}

Test(verify_data, committed_traces_are_what_the_generator_writes)
{
	bool regen = getenv("RMCPSEC_REGEN_VERIFY_DATA") != NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dir[400], tmp[400], a[640], b[640];
		static const char *files[] = {"trace.pcap", "esp_sa", "ah_sa"};

		data_dir(&cases[i], dir, sizeof(dir));
		if (regen) {
			mkdir(dir, 0755);
			generate(&cases[i], dir);
			continue;
		}
		struct tb scratch;
		tb_open(&scratch, cases[i].name); /* only for its fresh directory */
		tb_close(&scratch);
		snprintf(tmp, sizeof(tmp), "%s", scratch.dir);
		tb_remove(&scratch);
		cr_assert_eq(mkdir(tmp, 0700), 0);
		generate(&cases[i], tmp);
		for (size_t f = 0; f < 3; f++) {
			snprintf(a, sizeof(a), "%s/%s", tmp, files[f]);
			snprintf(b, sizeof(b), "%s/%s", dir, files[f]);
			same_file(a, b);
			unlink(a);
		}
		rmdir(tmp);
	}
}

Test(verify_data, each_committed_trace_gives_its_finding)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tb b = {0};
		struct got g;
		struct verify_stats st;
		char dir[400];

		data_dir(&cases[i], dir, sizeof(dir));
		snprintf(b.pcap, sizeof(b.pcap), "%s/trace.pcap", dir);
		snprintf(b.keys, sizeof(b.keys), "%s/esp_sa", dir);
		snprintf(b.ahkeys, sizeof(b.ahkeys), "%s/ah_sa", dir);
		cr_assert_eq(tb_verify(&b, NULL, &g, &st), 0, "%s", cases[i].name);
		if (cases[i].id < 0) {
			got_print(&g);
			cr_assert_eq(g.n, 0, "%s", cases[i].name);
			continue;
		}
		cr_log_info("%s:", cases[i].name);
		got_one(&g, cases[i].id, cases[i].frame);
	}
}

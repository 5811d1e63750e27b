/*
 * The verifier against traces made here with the real builders and real
 * ESP/AH: a good conversation passes; each hand-made bad trace fails with
 * exactly its own finding id, on the frame that is wrong.
 */
#include "verify_conv.h"

Test(verify, good_conversation_passes)
{
	struct conv c;
	struct got g;
	struct verify_stats st;

	conv_open(&c, "good");
	good_conversation(&c);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, &st), 0);
	got_print(&g);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(st.frames, 18);
	cr_assert_eq(st.esp, 13);
	cr_assert_eq(st.ah, 2);
	cr_assert_eq(st.opened, 14);
	cr_assert_eq(st.clear_rmcp, 2);
	cr_assert_eq(st.commit, 4);
	conv_close(&c);
}

Test(verify, clear_udp_on_664)
{
	struct conv c;
	struct got g;
	uint8_t p[64];

	conv_open(&c, "clear664");
	good_conversation(&c);
	size_t n = tb_asf(ASF_PRESENCE_PING, 9, p);
	tb_udp(&c.b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_CLEAR_664, 19);
	conv_close(&c);
}

Test(verify, esp_unknown_spi)
{
	struct conv c;
	struct tsa stray;
	struct got g;

	conv_open(&c, "unknownspi");
	tb_sa(&c.b, &stray, SA_ESP_AES_GCM_16, 0x9999, T_SERVER_IP, T_CLIENT_IP, false);
	good_conversation(&c);
	secured_ping(&c, NULL, &stray, &c.gcm_c2s, 9); /* 19 unknown, 20 fine */
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_ESP_UNKNOWN_SPI, 19);
	sa_clear(&stray.out);
	conv_close(&c);
}

Test(verify, esp_spi_known_between_other_hosts)
{
	struct conv c;
	struct tsa wrong;
	struct got g;

	conv_open(&c, "otherhosts");
	/* The key file's SA 0x1001 is server -> client; the same SPI client -> server is unknown.
	 */
	tb_sa(&c.b, &wrong, SA_ESP_AES_GCM_16, SPI_GCM_S2C, T_CLIENT_IP, T_SERVER_IP, false);
	secured_ping(&c, NULL, &wrong, &c.gcm_s2c, 1);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_ESP_UNKNOWN_SPI, 1);
	sa_clear(&wrong.out);
	conv_close(&c);
}

Test(verify, ah_unknown_spi)
{
	struct conv c;
	struct tsa stray;
	struct got g;

	conv_open(&c, "ahunknown");
	tb_sa(&c.b, &stray, SA_AH_HMAC_SHA256, 0x7777, T_SERVER_IP, T_CLIENT_IP, false);
	good_conversation(&c);
	secured_ping(&c, &stray, &c.gcm_s2c, &c.gcm_c2s, 9);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_AH_UNKNOWN_SPI, 19);
	sa_clear(&stray.out);
	conv_close(&c);
}

/* Flips one bit at off (from the end of the frame when negative) of the last frame. */
static void
rewrite_last_flipped(struct conv *c, long off)
{
	uint8_t f[T_FRAME_MAX];
	size_t n = c->b.last_len;

	memcpy(f, c->b.last, n);
	f[off < 0 ? (long)n + off : off] ^= 0x01;
	tb_write(&c->b, f, n);
}

Test(verify, icv_esp_gcm_cbc_and_ah)
{
	struct {
		const char *name;
		int suite; /* 0 GCM, 1 CBC, 2 AH only */
	} cases[] = {{"icvgcm", 0}, {"icvcbc", 1}, {"icvah", 2}};

	for (size_t i = 0; i < 3; i++) {
		struct conv c;
		struct got g;
		uint8_t p[64];
		size_t n = tb_asf(ASF_PRESENCE_PING, 9, p);

		conv_open(&c, cases[i].name);
		if (cases[i].suite == 2)
			tb_sealed(&c.b, &c.ah_s2c, NULL, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
		else
			tb_sealed(&c.b, NULL, cases[i].suite ? &c.cbc_s2c : &c.gcm_s2c, T_EPHEMERAL,
				  RMCP_PORT_SECURE, p, n);
		/* Frame 2: the same packet with one bit of its last byte (ICV or payload) flipped.
		 */
		rewrite_last_flipped(&c, -1);
		tb_close(&c.b);
		cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
		got_one(&g, V_ICV, 2);
		conv_close(&c);
	}
}

Test(verify, sequence_reuse)
{
	struct conv c;
	struct got g;
	uint8_t p[64];

	conv_open(&c, "seqreuse");
	secured_ping(&c, NULL, &c.cbc_s2c, &c.cbc_c2s, 1); /* 1, 2: sequence 1 each */
	c.cbc_s2c.out.seq = 0; /* as a NIC that restarted from zero after a reset */
	size_t n = tb_asf(ASF_SYSTEM_STATE_REQ, 2, p);
	tb_sealed(&c.b, NULL, &c.cbc_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, p, n); /* 3 */
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_SEQ_REUSE, 3);
	cr_assert_eq(g.f[0].related, 1);
	conv_close(&c);
}

Test(verify, ah_sequence_reuse)
{
	struct conv c;
	struct got g;
	uint8_t p[64];

	conv_open(&c, "ahseqreuse");
	size_t n = tb_asf(ASF_PRESENCE_PING, 1, p);
	tb_sealed(&c.b, &c.ah_s2c, NULL, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	c.ah_s2c.out.seq = 0;
	n = tb_asf(ASF_SYSTEM_STATE_REQ, 2, p);
	tb_sealed(&c.b, &c.ah_s2c, NULL, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_SEQ_REUSE, 2);
	conv_close(&c);
}

static int
constant_iv(void *arg, uint64_t seq, uint8_t *iv, size_t len)
{
	(void)arg;
	(void)seq;
	memset(iv, 0x42, len);
	return 0;
}

Test(verify, gcm_nonce_reuse)
{
	struct conv c;
	struct got g;
	uint8_t p[64];

	conv_open(&c, "noncereuse");
	c.gcm_s2c.out.iv_fn = constant_iv; /* new sequence numbers, one IV */
	size_t n = tb_asf(ASF_PRESENCE_PING, 1, p);
	tb_sealed(&c.b, NULL, &c.gcm_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	n = tb_asf(ASF_SYSTEM_STATE_REQ, 2, p);
	tb_sealed(&c.b, NULL, &c.gcm_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_NONCE_REUSE, 2);
	cr_assert_eq(g.f[0].related, 1);
	conv_close(&c);
}

Test(verify, gcm_nonce_reuse_across_spis_sharing_a_key)
{
	struct conv c;
	struct tsa twin;
	struct got g;
	uint8_t p[64];
	char line[512];

	conv_open(&c, "noncetwin");
	/* Another SPI with the key and salt of 0x1001 (a broken key derivation). */
	struct sa_config cfg = c.gcm_s2c.out.cfg;
	cfg.spi = 0x1101;
	cr_assert_eq(sa_init(&twin.out, &cfg, SA_DIR_OUT), 0);
	cr_assert_gt(keys_esp_line(&twin.out, T_SERVER_IP, T_CLIENT_IP, line, sizeof(line)), 0);
	fputs(line, c.b.kf);
	twin.src = T_SERVER_IP;
	twin.dst = T_CLIENT_IP;
	size_t n = tb_asf(ASF_PRESENCE_PING, 1, p);
	tb_sealed(&c.b, NULL, &c.gcm_s2c, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	tb_sealed(&c.b, NULL, &twin, T_EPHEMERAL, RMCP_PORT_SECURE, p, n);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_NONCE_REUSE, 2);
	sa_clear(&twin.out);
	conv_close(&c);
}

Test(verify, duplicate_frame_and_allowed_duplicate)
{
	struct conv c;
	struct got g;
	struct verify_stats st;
	struct verify_policy p;

	conv_open(&c, "dup");
	good_conversation(&c);
	secured_ping(&c, NULL, &c.gcm_s2c, &c.gcm_c2s, 9); /* 19, 20 */
	tb_write(&c.b, c.b.last, c.b.last_len);		   /* 21: copy of 20 */
	clear_ping(&c, 10);				   /* 22, 23 */
	tb_write(&c.b, c.b.last, c.b.last_len);		   /* 24: copy of 23 */
	tb_close(&c.b);

	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_print(&g);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.f[0].id, V_DUP);
	cr_assert_eq(g.f[0].frame, 21);
	cr_assert_eq(g.f[0].related, 20);
	cr_assert_eq(g.f[1].id, V_DUP);
	cr_assert_eq(g.f[1].frame, 24);

	verify_policy_default(&p);
	cr_assert_eq(verify_policy_add_dup(&p, 24), 0);
	cr_assert_eq(verify_policy_add_dup(&p, 21), 0);
	cr_assert_eq(tb_verify(&c.b, &p, &g, &st), 0);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(st.allowed_dup, 2);

	/* Allowing another frame number does not cover frame 21. */
	verify_policy_free(&p);
	verify_policy_default(&p);
	cr_assert_eq(verify_policy_add_dup(&p, 24), 0);
	cr_assert_eq(verify_policy_add_dup(&p, 20), 0);
	cr_assert_eq(tb_verify(&c.b, &p, &g, &st), 0);
	got_one(&g, V_DUP, 21);
	verify_policy_free(&p);
	conv_close(&c);
}

Test(verify, clear_rmcp_on_another_port)
{
	struct conv c;
	struct got g;
	uint8_t p[64];

	conv_open(&c, "clearport");
	good_conversation(&c);
	size_t n = tb_asf(ASF_PRESENCE_PING, 9, p);
	tb_udp(&c.b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, 700, p, n); /* 19 */
	/* Not RMCP on another port: no finding. */
	tb_udp(&c.b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, 701, (const uint8_t *)"hello", 5);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_CLEAR_PORT, 19);
	conv_close(&c);
}

Test(verify, clear_port_is_configurable)
{
	struct conv c;
	struct got g;
	struct verify_policy p;
	uint8_t pl[64];

	conv_open(&c, "clearport2");
	size_t n = tb_asf(ASF_PRESENCE_PING, 9, pl);
	tb_udp(&c.b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, 700, pl, n);
	tb_udp(&c.b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, RMCP_PORT_CLEAR, pl, n);
	tb_close(&c.b);
	verify_policy_default(&p);
	p.clear_port = 700;
	cr_assert_eq(tb_verify(&c.b, &p, &g, NULL), 0);
	got_one(&g, V_CLEAR_PORT, 2);
	verify_policy_free(&p);
	conv_close(&c);
}

Test(verify, clear_message_type_not_allowed)
{
	struct conv c;
	struct got g;
	struct verify_policy p;
	uint8_t pl[64];

	conv_open(&c, "clearmsg");
	clear_ping(&c, 1);
	size_t n = tb_asf(ASF_RESET, 2, pl);
	tb_udp(&c.b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, RMCP_PORT_CLEAR, pl, n); /* 3 */
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	cr_assert_eq(g.n, 0, "the default policy allows a clear Reset");
	verify_policy_default(&p);
	verify_policy_set_type(&p, ASF_RESET, false);
	cr_assert_eq(tb_verify(&c.b, &p, &g, NULL), 0);
	got_one(&g, V_CLEAR_MSG, 3);
	verify_policy_free(&p);
	conv_close(&c);
}

Test(verify, commit_message_in_the_clear)
{
	struct conv c;
	struct got g;
	uint8_t pl[64];

	conv_open(&c, "clearcommit");
	size_t n = tb_commit(ASF_COMMIT_READY, SPI_NEW_S2C, SPI_NEW_C2S, TXID, 1, pl);
	tb_udp(&c.b, T_CLIENT_IP, T_SERVER_IP, T_EPHEMERAL, RMCP_PORT_CLEAR, pl, n);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_CLEAR_MSG, 1);
	conv_close(&c);
}

Test(verify, clear_rmcp_forbidden_or_outside_its_window)
{
	struct conv c;
	struct got g;
	struct verify_policy p;

	conv_open(&c, "clearstate");
	clear_ping(&c, 1); /* at 1.001 s and 1.002 s */
	tb_close(&c.b);
	verify_policy_default(&p);
	p.clear_allowed = false;
	cr_assert_eq(tb_verify(&c.b, &p, &g, NULL), 0);
	got_print(&g);
	cr_assert_eq(g.n, 2);
	cr_assert_eq(g.f[0].id, V_CLEAR_STATE);
	cr_assert_eq(g.f[1].id, V_CLEAR_STATE);

	p.clear_allowed = true;
	cr_assert_eq(verify_policy_add_window(&p, 1000000000ull, 1001500000ull), 0);
	cr_assert_eq(tb_verify(&c.b, &p, &g, NULL), 0);
	got_one(&g, V_CLEAR_STATE, 2);
	cr_assert_eq(verify_policy_add_window(&p, 1001500000ull, 1002000001ull), 0);
	cr_assert_eq(tb_verify(&c.b, &p, &g, NULL), 0);
	cr_assert_eq(g.n, 0);
	verify_policy_free(&p);
	conv_close(&c);
}

Test(verify, commit_ack_before_ready)
{
	struct conv c;
	struct got g;

	conv_open(&c, "commitorder");
	commit_msg(&c, &c.new_s2c, ASF_COMMIT_ACK);	/* 1: ACK of nothing */
	commit_msg(&c, &c.new_c2s, ASF_COMMIT_READY);	/* 2 */
	commit_msg(&c, &c.new_c2s, ASF_COMMIT_CONFIRM); /* 3: fine, an ACK was seen */
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_COMMIT_ORDER, 1);
	conv_close(&c);
}

Test(verify, commit_confirm_before_ack)
{
	struct conv c;
	struct got g;

	conv_open(&c, "commitorder2");
	commit_msg(&c, &c.new_c2s, ASF_COMMIT_READY);	/* 1 */
	commit_msg(&c, &c.new_c2s, ASF_COMMIT_CONFIRM); /* 2: no ACK yet */
	commit_msg(&c, &c.new_s2c, ASF_COMMIT_ACK);	/* 3 */
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_COMMIT_ORDER, 2);
	conv_close(&c);
}

Test(verify, commit_under_the_old_sa)
{
	struct conv c;
	struct got g;
	struct verify_policy p;

	conv_open(&c, "commitsa");
	commit_msg(&c, &c.gcm_c2s, ASF_COMMIT_READY); /* 1: under 0x1002, body names 0x4001/2 */
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_COMMIT_SA, 1);
	verify_policy_default(&p);
	p.commit_under_new_sa = false;
	cr_assert_eq(tb_verify(&c.b, &p, &g, NULL), 0);
	cr_assert_eq(g.n, 0);
	verify_policy_free(&p);
	conv_close(&c);
}

Test(verify, commit_body_of_the_wrong_length)
{
	struct conv c;
	struct got g;
	uint8_t pl[64];

	conv_open(&c, "commitlen");
	size_t n = tb_commit(ASF_COMMIT_READY, SPI_NEW_S2C, SPI_NEW_C2S, TXID, 1, pl);
	pl[RMCP_HLEN + 7] = 12; /* data length 12, and 4 bytes fewer */
	tb_sealed(&c.b, NULL, &c.new_c2s, T_EPHEMERAL, RMCP_PORT_SECURE, pl, n - 4);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_one(&g, V_MALFORMED, 1);
	conv_close(&c);
}

Test(verify, malformed_frames)
{
	struct conv c;
	struct got g;
	uint8_t f[T_FRAME_MAX], pl[64];

	conv_open(&c, "malformed");
	clear_ping(&c, 1);
	memcpy(f, c.b.last, c.b.last_len);
	f[ETH_HLEN + 10] ^= 0xff; /* 3: IPv4 header checksum */
	tb_write(&c.b, f, c.b.last_len);
	tb_write(&c.b, f, 10); /* 4: shorter than an Ethernet header */
	size_t n = tb_asf(ASF_PRESENCE_PING, 2, pl);
	pl[0] = 0x05; /* 5: not RMCP version 6 on port 623 */
	tb_udp(&c.b, T_SERVER_IP, T_CLIENT_IP, T_EPHEMERAL, RMCP_PORT_CLEAR, pl, n);
	tb_close(&c.b);
	cr_assert_eq(tb_verify(&c.b, NULL, &g, NULL), 0);
	got_print(&g);
	cr_assert_eq(g.n, 3);
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(g.f[i].id, V_MALFORMED);
		cr_assert_eq(g.f[i].frame, 3 + i);
	}
	conv_close(&c);
}

Test(verify, frame_cut_by_the_capture)
{
	struct verifier *v;
	struct verify_policy p;
	struct keyring kr = {0};
	struct got g = {0};
	uint8_t f[60] = {0};

	verify_policy_default(&p);
	v = verifier_new(&p, &kr, got_emit, &g);
	cr_assert_not_null(v);
	verify_frame(v, 1, 0, f, sizeof(f), 100);
	got_one(&g, V_MALFORMED, 1);
	verifier_free(v);
	verify_policy_free(&p);
}

Test(verify, id_names_round_trip)
{
	for (int i = 0; i < V_COUNT; i++) {
		cr_assert_eq(strncmp(verify_id_name(i), "V-", 2), 0);
		cr_assert_eq(verify_id_parse(verify_id_name(i)), i);
	}
	cr_assert_eq(verify_id_parse("V-NOPE"), -1);
	cr_assert_str_eq(verify_id_name(V_COUNT), "V-?");
}

/*
 * nodes/nvram: format, decoding of damaged images, atomicity under a power
 * cut at every byte, the sequence checkpoint argument, the receive
 * checkpoint, endurance. The layout offsets checked here are the ones
 * docs/internals/nvram.md documents.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nodes/nvram.h"
#include "proto/err.h"

/* A local xorshift64 (Marsaglia 2003): nodes/ tests may not use sim/rng. */
static uint64_t
xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static struct nvram_sa
make_sa(uint32_t n)
{
	struct nvram_sa sa;
	memset(&sa, 0, sizeof(sa));
	sa.spi_in = 0x10000 + n;
	sa.spi_out = 0x20000 + n;
	sa.suite = 1;
	sa.key_len = 16;
	sa.salt_len = 4;
	sa.integ_key_len = (n & 1) ? 32 : 0;
	memset(sa.key, (int)(0xA0 + n), sa.key_len);
	memset(sa.salt, (int)(0x50 + n), sa.salt_len);
	memset(sa.integ_key, (int)(0x30 + n), sa.integ_key_len);
	/* inbound patterns never equal the outbound ones (0x20, 0x10, 0x60 apart) */
	memset(sa.key_in, (int)(0xC0 + n), sa.key_len);
	memset(sa.salt_in, (int)(0x60 + n), sa.salt_len);
	memset(sa.integ_key_in, (int)(0x90 + n), sa.integ_key_len);
	sa.peer_ip[0] = 192;
	sa.peer_ip[1] = 0;
	sa.peer_ip[2] = 2;
	sa.peer_ip[3] = (uint8_t)n;
	sa.esn = n & 2;
	sa.txid = 0x7000 + n;
	return sa;
}

/* Same SA material (gen is assigned by the NVRAM, not compared). */
static bool
sa_eq(const struct nvram_sa *a, const struct nvram_sa *b)
{
	return a->spi_in == b->spi_in && a->spi_out == b->spi_out && a->suite == b->suite &&
	       a->esn == b->esn && a->key_len == b->key_len && a->salt_len == b->salt_len &&
	       a->integ_key_len == b->integ_key_len && a->txid == b->txid &&
	       !memcmp(a->key, b->key, sizeof(a->key)) &&
	       !memcmp(a->salt, b->salt, sizeof(a->salt)) &&
	       !memcmp(a->integ_key, b->integ_key, sizeof(a->integ_key)) &&
	       !memcmp(a->key_in, b->key_in, sizeof(a->key_in)) &&
	       !memcmp(a->salt_in, b->salt_in, sizeof(a->salt_in)) &&
	       !memcmp(a->integ_key_in, b->integ_key_in, sizeof(a->integ_key_in)) &&
	       !memcmp(a->peer_ip, b->peer_ip, sizeof(a->peer_ip));
}

static void
stage_commit(struct nvram *nv, uint32_t n)
{
	struct nvram_sa sa = make_sa(n);
	cr_assert_eq(nvram_sa_stage(nv, &sa), RMC_OK, "%s", nvram_error(nv));
	cr_assert_eq(nvram_sa_commit(nv, sa.txid), RMC_OK, "%s", nvram_error(nv));
}

static void
config_small_r(struct nvram_config *cfg, uint64_t r)
{
	nvram_config_default(cfg);
	cfg->seq_reservation = r;
}

static uint32_t
get_be32_at(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static bool
contains(const uint8_t *hay, size_t len, const uint8_t *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

static void
copy_image(const struct nvram *nv, uint8_t *out)
{
	const uint8_t *img;
	size_t len;
	nvram_image(nv, &img, &len);
	cr_assert_eq(len, NVRAM_IMAGE_SIZE);
	memcpy(out, img, len);
}

/* ---- CRC and format ---- */

Test(nvram, crc32_check_value)
{
	/* The CRC-32/ISO-HDLC check value (also zlib's and PNG's). */
	cr_assert_eq(nvram_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
	cr_assert_eq(nvram_crc32(NULL, 0), 0);
}

Test(nvram, fresh_image_is_cold_boot_with_defaults)
{
	struct nvram nv;
	struct nvram_sa sa;
	struct nvram_policy p;
	uint8_t img[NVRAM_IMAGE_SIZE];
	nvram_init(&nv, NULL);
	cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_ENOENT);
	cr_assert_eq(nvram_sa_pending(&nv, &sa), RMC_ENOENT);
	cr_assert_eq(nvram_warnings(&nv), 0);
	nvram_policy_get(&nv, &p);
	cr_assert_not(p.clear_allowed);
	cr_assert_eq(p.clear_port, 623);
	cr_assert_eq(p.clear_msgs, 0);
	copy_image(&nv, img);
	cr_assert_arr_eq(img, "RMNV", 4);
	cr_assert_eq(img[4], 0);
	cr_assert_eq(img[5], NVRAM_VERSION);
	cr_assert_eq(img[0x010], 'C');
	for (size_t i = 0x030; i < NVRAM_IMAGE_SIZE; i++)
		cr_assert_eq(img[i], 0xFF, "selectors, checkpoints and slots start erased (%zx)",
			     i);
	cr_assert_eq(nvram_stats(&nv)->writes, 0, "factory programming is not counted");
}

/* Pins the documented layout: if this fails, docs/internals/nvram.md is wrong too. */
Test(nvram, layout_matches_documented_offsets)
{
	struct nvram nv;
	struct nvram_config cfg;
	uint8_t img[NVRAM_IMAGE_SIZE];
	struct nvram_sa sa = make_sa(1);
	uint64_t seq;
	config_small_r(&cfg, 100);
	cfg.policy.clear_allowed = true;
	cfg.policy.clear_msgs = ASF_CLEAR_PRESENCE_PING | ASF_CLEAR_RESET;
	nvram_init(&nv, &cfg);
	stage_commit(&nv, 1);
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
	cr_assert_eq(nvram_rx_floor_raise(&nv, sa.spi_in, 0x89ABCDEF), RMC_OK);
	copy_image(&nv, img);
	/* header: magic, version, size, reserved, CRC over bytes 0..11 */
	cr_assert_eq(NVRAM_IMAGE_SIZE, 768);
	cr_assert_eq(get_be32_at(img + 4), (3u << 16) | 768u, "version 3, 768 bytes");
	cr_assert_eq(get_be32_at(img + 12), nvram_crc32(img, 12));
	/* config[0] at 0x010: tag, rsv, flags, port, msgs, gen, CRC */
	cr_assert_eq(img[0x013], 1);
	cr_assert_eq((img[0x014] << 8) | img[0x015], 623);
	cr_assert_eq((img[0x016] << 8) | img[0x017], 0x09);
	cr_assert_eq(get_be32_at(img + 0x018), 1);
	cr_assert_eq(get_be32_at(img + 0x01C), nvram_crc32(img + 0x010, 12));
	/* selector[0] at 0x030: stage went to slot 0, commit to selector copy 0 */
	cr_assert_eq(img[0x030], 'S');
	cr_assert_eq(img[0x031], 0);
	cr_assert_eq(get_be32_at(img + 0x034), 1, "sel_gen");
	cr_assert_eq(get_be32_at(img + 0x038), 1, "active_gen");
	cr_assert_eq(get_be32_at(img + 0x040), sa.txid);
	cr_assert_eq(get_be32_at(img + 0x044), nvram_crc32(img + 0x030, 20));
	cr_assert_eq(img[0x050], 0xFF, "selector[1] untouched");
	/* checkpoint[0][0] at 0x070: gen, SPI, next_safe = 1 + R */
	cr_assert_eq(img[0x070], 'Q');
	cr_assert_eq(get_be32_at(img + 0x074), 1);
	cr_assert_eq(get_be32_at(img + 0x078), sa.spi_out);
	cr_assert_eq(get_be32_at(img + 0x07C), 0);
	cr_assert_eq(get_be32_at(img + 0x080), 101);
	cr_assert_eq(get_be32_at(img + 0x084), nvram_crc32(img + 0x070, 20));
	for (size_t i = 0x0F0; i < 0x100; i++)
		cr_assert_eq(img[i], 0xFF, "unused at %zx", i);
	/* receive checkpoint[0][0] at 0x100: tag, reserved, gen, inbound SPI, floor, CRC */
	cr_assert_eq(img[0x100], 'R');
	cr_assert_eq(get_be32_at(img + 0x100) & 0xFFFFFF, 0, "reserved");
	cr_assert_eq(get_be32_at(img + 0x104), 1);
	cr_assert_eq(get_be32_at(img + 0x108), sa.spi_in);
	cr_assert_eq(get_be32_at(img + 0x10C), 0);
	cr_assert_eq(get_be32_at(img + 0x110), 0x89ABCDEF);
	cr_assert_eq(get_be32_at(img + 0x114), nvram_crc32(img + 0x100, 20));
	for (size_t i = 0x118; i < 0x180; i++)
		cr_assert_eq(img[i], 0xFF, "other receive checkpoints untouched at %zx", i);
	/* slot[0] at 0x180 */
	const uint8_t *sl = img + 0x180;
	cr_assert_eq(sl[0x00], 'A');
	cr_assert_eq(sl[0x01], sa.suite);
	cr_assert_eq(sl[0x04], 16);
	cr_assert_eq(sl[0x05], 4);
	cr_assert_eq(sl[0x06], 32);
	cr_assert_eq(get_be32_at(sl + 0x08), 1, "gen");
	cr_assert_eq(get_be32_at(sl + 0x0C), sa.txid);
	cr_assert_eq(get_be32_at(sl + 0x10), sa.spi_in);
	cr_assert_eq(get_be32_at(sl + 0x14), sa.spi_out);
	cr_assert_arr_eq(sl + 0x18, sa.peer_ip, 4);
	cr_assert_arr_eq(sl + 0x1C, sa.key, 32);
	cr_assert_arr_eq(sl + 0x3C, sa.salt, 4);
	cr_assert_arr_eq(sl + 0x40, sa.integ_key, 32);
	cr_assert_arr_eq(sl + 0x60, sa.key_in, 32);
	cr_assert_arr_eq(sl + 0x80, sa.salt_in, 4);
	cr_assert_arr_eq(sl + 0x84, sa.integ_key_in, 32);
	cr_assert_eq(get_be32_at(sl + 0xA4), nvram_crc32(sl, 164));
	for (size_t i = 0x228; i < 0x240; i++)
		cr_assert_eq(img[i], 0xFF, "slot[0] stride padding at %zx", i);
	for (size_t i = 0x240; i < NVRAM_IMAGE_SIZE; i++)
		cr_assert_eq(img[i], 0xFF, "slot[1] untouched at %zx", i);
	nvram_wipe(&nv);
}

Test(nvram, round_trip_through_image)
{
	struct nvram a, b;
	struct nvram_config cfg;
	struct nvram_policy p = {true, 6230, ASF_CLEAR_ALL_MSGS}, q;
	struct nvram_sa want = make_sa(3), pend = make_sa(4), got;
	uint8_t img[NVRAM_IMAGE_SIZE];
	uint64_t seq = 0, next, limit;
	config_small_r(&cfg, 10);
	nvram_init(&a, &cfg);
	cr_assert_eq(nvram_policy_set(&a, &p), RMC_OK);
	stage_commit(&a, 3);
	for (int i = 0; i < 25; i++)
		cr_assert_eq(nvram_seq_next(&a, want.spi_out, &seq), RMC_OK);
	cr_assert_eq(seq, 25);
	cr_assert_eq(nvram_sa_stage(&a, &pend), RMC_OK);
	copy_image(&a, img);

	nvram_init(&b, &cfg);
	cr_assert_eq(nvram_load(&b, img, sizeof(img)), RMC_OK, "%s", nvram_error(&b));
	cr_assert_eq(nvram_warnings(&b), 0);
	cr_assert_eq(nvram_sa_active(&b, &got), RMC_OK);
	cr_assert(sa_eq(&got, &want));
	cr_assert_eq(nvram_sa_pending(&b, &got), RMC_OK);
	cr_assert(sa_eq(&got, &pend));
	cr_assert_gt(got.gen, 1);
	nvram_policy_get(&b, &q);
	cr_assert(q.clear_allowed);
	cr_assert_eq(q.clear_port, 6230);
	cr_assert_eq(q.clear_msgs, ASF_CLEAR_ALL_MSGS);
	/* 25 handed out, checkpoints at 1, 11, 21 -> persisted limit 31 */
	cr_assert_eq(nvram_seq_state(&b, want.spi_out, &next, &limit), RMC_OK);
	cr_assert_eq(limit, 31);
	cr_assert_eq(next, 31);
	nvram_wipe(&a);
	nvram_wipe(&b);
}

/* ---- damaged images ---- */

Test(nvram, truncated_image_every_length_is_an_error)
{
	struct nvram nv, before;
	struct nvram_sa sa;
	uint8_t img[NVRAM_IMAGE_SIZE + 1] = {0};
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	copy_image(&nv, img);
	before = nv;
	for (size_t len = 0; len < NVRAM_IMAGE_SIZE; len++) {
		cr_assert_eq(nvram_load(&nv, img, len), RMC_ETRUNC, "len %zu", len);
		cr_assert(strstr(nvram_error(&nv), "truncated"), "len %zu: %s", len,
			  nvram_error(&nv));
		cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_OK, "failed load left nv intact");
		cr_assert_eq(sa.spi_out, make_sa(1).spi_out);
	}
	cr_assert_eq(nvram_load(&nv, img, sizeof(img)), RMC_EINVAL, "one byte too many");
	cr_assert_eq(nvram_load(&nv, NULL, 0), RMC_EINVAL);
	cr_assert_arr_eq(nv.img, before.img, NVRAM_IMAGE_SIZE);
	nvram_wipe(&nv);
	nvram_wipe(&before);
}

static void
reseal(uint8_t *rec, size_t len)
{
	uint32_t c = nvram_crc32(rec, len - 4);
	rec[len - 4] = (uint8_t)(c >> 24);
	rec[len - 3] = (uint8_t)(c >> 16);
	rec[len - 2] = (uint8_t)(c >> 8);
	rec[len - 1] = (uint8_t)c;
}

Test(nvram, header_errors_are_named)
{
	struct nvram nv;
	uint8_t img[NVRAM_IMAGE_SIZE], bad[NVRAM_IMAGE_SIZE];
	nvram_init(&nv, NULL);
	copy_image(&nv, img);

	memcpy(bad, img, sizeof(bad));
	bad[0] = 'X';
	cr_assert_eq(nvram_load(&nv, bad, sizeof(bad)), RMC_EINVAL);
	cr_assert(strstr(nvram_error(&nv), "magic"), "%s", nvram_error(&nv));

	memcpy(bad, img, sizeof(bad));
	bad[12] ^= 1;
	cr_assert_eq(nvram_load(&nv, bad, sizeof(bad)), RMC_EINVAL);
	cr_assert(strstr(nvram_error(&nv), "CRC"), "%s", nvram_error(&nv));

	memcpy(bad, img, sizeof(bad));
	bad[5] = 4;
	reseal(bad, 16);
	cr_assert_eq(nvram_load(&nv, bad, sizeof(bad)), RMC_EUNSUP);
	cr_assert(strstr(nvram_error(&nv), "version 4"), "%s", nvram_error(&nv));

	memcpy(bad, img, sizeof(bad));
	bad[6] = 1;
	reseal(bad, 16);
	cr_assert_eq(nvram_load(&nv, bad, sizeof(bad)), RMC_EINVAL);

	memcpy(bad, img, sizeof(bad));
	bad[11] = 1;
	reseal(bad, 16);
	cr_assert_eq(nvram_load(&nv, bad, sizeof(bad)), RMC_EINVAL, "reserved must be zero");

	cr_assert_eq(nvram_load(&nv, img, sizeof(img)), RMC_OK);
}

/* A genuine version-1 image (512 bytes, one key set per SA) is named, not "truncated". */
Test(nvram, version_1_image_is_refused)
{
	struct nvram nv;
	struct nvram_sa sa;
	uint8_t v1[512];
	char path[512];
	FILE *f;
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	memset(v1, 0xFF, sizeof(v1));
	memcpy(v1, "RMNV", 4);
	v1[4] = 0, v1[5] = 1;	    /* version 1 */
	v1[6] = 0x02, v1[7] = 0x00; /* 512 bytes */
	memset(v1 + 8, 0, 4);
	reseal(v1, 16);
	cr_assert_eq(nvram_load(&nv, v1, sizeof(v1)), RMC_EUNSUP);
	cr_assert(strstr(nvram_error(&nv), "version 1"), "%s", nvram_error(&nv));
	cr_assert(strstr(nvram_error(&nv), "only version 3"), "%s", nvram_error(&nv));
	cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_OK, "a refused image leaves nv as it was");
	cr_assert_eq(sa.spi_out, make_sa(1).spi_out);

	snprintf(path, sizeof(path), "%s/nvram_test_%ld_v1.img", RMCPSEC_BIN_DIR, (long)getpid());
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(v1, 1, sizeof(v1), f), sizeof(v1));
	fclose(f);
	cr_assert_eq(nvram_file_load(&nv, path), RMC_EUNSUP);
	cr_assert(strstr(nvram_error(&nv), "version 1"), "%s", nvram_error(&nv));
	remove(path);
	nvram_wipe(&nv);
}

/*
 * A genuine version-2 image (768 bytes like version 3, slots at 0x100 and
 * 0x200, no receive checkpoint) is refused too: read as version 3 its SAs
 * would come without their replay floor.
 */
Test(nvram, version_2_image_is_refused)
{
	struct nvram nv;
	struct nvram_sa sa;
	uint8_t v2[NVRAM_IMAGE_SIZE];
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	copy_image(&nv, v2);
	v2[5] = 2;
	reseal(v2, 16);
	cr_assert_eq(nvram_load(&nv, v2, sizeof(v2)), RMC_EUNSUP);
	cr_assert(strstr(nvram_error(&nv), "format version 2, this build reads only version 3"),
		  "%s", nvram_error(&nv));
	cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_OK, "a refused image leaves nv as it was");
	nvram_wipe(&nv);
}

/*
 * Two committed SAs: slot 0 holds the previous one (1), slot 1 the active
 * one (2), whose receive floor is 9 (copy 1) after 7 (copy 0).
 */
static void
two_committed(struct nvram *nv, uint8_t *img)
{
	nvram_init(nv, NULL);
	stage_commit(nv, 1);
	stage_commit(nv, 2);
	cr_assert_eq(nvram_rx_floor_raise(nv, make_sa(2).spi_in, 7), RMC_OK);
	cr_assert_eq(nvram_rx_floor_raise(nv, make_sa(2).spi_in, 9), RMC_OK);
	copy_image(nv, img);
}

Test(nvram, bad_active_slot_falls_back_to_previous)
{
	struct nvram nv;
	struct nvram_sa sa, prev = make_sa(1);
	uint8_t img[NVRAM_IMAGE_SIZE];
	two_committed(&nv, img);
	img[0x240 + 0x20] ^= 0x01; /* a key byte of slot 1 */
	cr_assert_eq(nvram_load(&nv, img, sizeof(img)), RMC_OK);
	cr_assert(nvram_warnings(&nv) & NVRAM_W_ACTIVE_LOST);
	cr_assert(nvram_warnings(&nv) & NVRAM_W_FELL_BACK);
	cr_assert(nvram_warnings(&nv) & NVRAM_W_SLOT_BAD);
	cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_OK);
	cr_assert(sa_eq(&sa, &prev));
	cr_assert_eq(nvram_sa_pending(&nv, &sa), RMC_ENOENT);
	nvram_wipe(&nv);
}

Test(nvram, bad_other_slot_is_ignored)
{
	struct nvram nv;
	struct nvram_sa sa, cur = make_sa(2);
	uint8_t img[NVRAM_IMAGE_SIZE];
	two_committed(&nv, img);
	img[0x180 + 0xA7] ^= 0x80; /* slot 0's CRC */
	cr_assert_eq(nvram_load(&nv, img, sizeof(img)), RMC_OK);
	cr_assert_eq(nvram_warnings(&nv), NVRAM_W_SLOT_BAD);
	cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_OK);
	cr_assert(sa_eq(&sa, &cur));
	nvram_wipe(&nv);
}

/* A pending SA is never promoted: it was not committed. */
Test(nvram, bad_active_slot_never_promotes_pending)
{
	struct nvram nv;
	struct nvram_sa sa, pend = make_sa(2);
	uint8_t img[NVRAM_IMAGE_SIZE];
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	cr_assert_eq(nvram_sa_stage(&nv, &pend), RMC_OK);
	copy_image(&nv, img);
	img[0x180 + 0x10] ^= 0x01; /* slot 0, the active one */
	cr_assert_eq(nvram_load(&nv, img, sizeof(img)), RMC_OK);
	cr_assert(nvram_warnings(&nv) & NVRAM_W_ACTIVE_LOST);
	cr_assert_not(nvram_warnings(&nv) & NVRAM_W_FELL_BACK);
	cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_ENOENT);
	nvram_wipe(&nv);
}

Test(nvram, bad_selector_copy_uses_the_other)
{
	struct nvram nv;
	struct nvram_sa sa, prev = make_sa(1);
	uint8_t img[NVRAM_IMAGE_SIZE];
	two_committed(&nv, img);
	/* commit 1 -> selector copy 0, commit 2 -> copy 1; damage copy 1 */
	img[0x050 + 4] ^= 0x01;
	cr_assert_eq(nvram_load(&nv, img, sizeof(img)), RMC_OK);
	cr_assert(nvram_warnings(&nv) & NVRAM_W_SEL_COPY);
	cr_assert_eq(nvram_sa_active(&nv, &sa), RMC_OK);
	cr_assert(sa_eq(&sa, &prev), "the older selector names the previous SA");
	nvram_wipe(&nv);
}

Test(nvram, both_config_copies_bad_is_secure_only)
{
	struct nvram nv;
	struct nvram_config cfg;
	struct nvram_policy p;
	uint8_t img[NVRAM_IMAGE_SIZE];
	nvram_config_default(&cfg);
	cfg.policy.clear_allowed = true;
	nvram_init(&nv, &cfg);
	copy_image(&nv, img);
	img[0x010 + 3] ^= 0x01;
	cr_assert_eq(nvram_load(&nv, img, sizeof(img)), RMC_OK);
	cr_assert(nvram_warnings(&nv) & NVRAM_W_CONFIG_LOST);
	nvram_policy_get(&nv, &p);
	cr_assert_not(p.clear_allowed, "fails closed");
}

/*
 * Records whose CRC is right but whose fields the format forbids: each is
 * rejected like a torn one and reported. Offsets from docs/internals/nvram.md.
 */
Test(nvram, well_sealed_records_with_forbidden_fields)
{
	/* width bytes at offset at set to val, big-endian, then the record resealed */
	static const struct {
		uint16_t rec, len, at, width;
		uint64_t val;
		unsigned warn;
		const char *what;
	} cases[] = {
	    {0x010, 16, 0x010, 1, 'X', NVRAM_W_CONFIG_LOST, "config tag"},
	    {0x010, 16, 0x011, 1, 1, NVRAM_W_CONFIG_LOST, "config reserved"},
	    {0x010, 16, 0x012, 2, 2, NVRAM_W_CONFIG_LOST, "config unknown flag"},
	    {0x010, 16, 0x014, 2, 0, NVRAM_W_CONFIG_LOST, "config port 0"},
	    {0x010, 16, 0x016, 2, 0x80, NVRAM_W_CONFIG_LOST, "config unknown message bit"},
	    {0x050, 24, 0x050, 1, 'X', NVRAM_W_SEL_COPY, "selector tag"},
	    {0x050, 24, 0x051, 1, 2, NVRAM_W_SEL_COPY, "selector slot 2"},
	    {0x050, 24, 0x052, 2, 1, NVRAM_W_SEL_COPY, "selector reserved"},
	    {0x0B0, 24, 0x0B0, 1, 'X', NVRAM_W_CKPT_BAD, "checkpoint tag"},
	    {0x0B0, 24, 0x0B1, 3, 1, NVRAM_W_CKPT_BAD, "checkpoint reserved"},
	    {0x0B0, 24, 0x0BC, 8, 0, NVRAM_W_CKPT_BAD, "checkpoint next safe 0"},
	    {0x140, 24, 0x140, 1, 'X', NVRAM_W_RXCK_BAD, "receive checkpoint tag"},
	    {0x140, 24, 0x141, 3, 1, NVRAM_W_RXCK_BAD, "receive checkpoint reserved"},
	    {0x140, 24, 0x144, 4, 0, NVRAM_W_RXCK_BAD, "receive checkpoint generation 0"},
	    {0x140, 24, 0x148, 4, 0, NVRAM_W_RXCK_BAD, "receive checkpoint SPI 0"},
	    {0x140, 24, 0x14C, 8, 0, NVRAM_W_RXCK_BAD, "receive floor 0"},
	    {0x140, 24, 0x14C, 8, UINT64_MAX, NVRAM_W_RXCK_BAD, "floor past an ESN SA's numbers"},
	    {0x180, 168, 0x180, 1, 'X', NVRAM_W_SLOT_BAD, "slot tag"},
	    {0x180, 168, 0x181, 1, 0, NVRAM_W_SLOT_BAD, "slot suite 0"},
	    {0x180, 168, 0x182, 1, 2, NVRAM_W_SLOT_BAD, "slot unknown flag"},
	    {0x180, 168, 0x183, 1, 1, NVRAM_W_SLOT_BAD, "slot reserved 1"},
	    {0x180, 168, 0x184, 1, 33, NVRAM_W_SLOT_BAD, "key length 33"},
	    {0x180, 168, 0x185, 1, 5, NVRAM_W_SLOT_BAD, "salt length 5"},
	    {0x180, 168, 0x186, 1, 33, NVRAM_W_SLOT_BAD, "integrity key length 33"},
	    {0x180, 168, 0x187, 1, 1, NVRAM_W_SLOT_BAD, "slot reserved 2"},
	    {0x180, 168, 0x188, 4, 0, NVRAM_W_SLOT_BAD, "generation 0"},
	    {0x180, 168, 0x190, 4, 0, NVRAM_W_SLOT_BAD, "inbound SPI 0"},
	    {0x180, 168, 0x194, 4, 0, NVRAM_W_SLOT_BAD, "outbound SPI 0"},
	    {0x180, 168, 0x1AC, 1, 1, NVRAM_W_SLOT_BAD, "key padding not zero"},
	    {0x180, 168, 0x1F0, 1, 1, NVRAM_W_SLOT_BAD, "inbound key padding not zero"},
	};
	struct nvram nv;
	struct nvram_sa cur = make_sa(2), got;
	uint8_t img[NVRAM_IMAGE_SIZE], bad[NVRAM_IMAGE_SIZE];
	uint64_t seq, floor;
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);					      /* slot 0, selector copy 0 */
	stage_commit(&nv, 2);					      /* slot 1, selector copy 1 */
	cr_assert_eq(nvram_seq_next(&nv, cur.spi_out, &seq), RMC_OK); /* checkpoint 1.0 */
	cr_assert(cur.esn);
	cr_assert_eq(nvram_rx_floor_raise(&nv, cur.spi_in, 5), RMC_OK); /* receive ckpt 1.0 */
	copy_image(&nv, img);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(bad, img, sizeof(bad));
		for (unsigned k = 0; k < cases[i].width; k++)
			bad[cases[i].at + k] =
			    (uint8_t)(cases[i].val >> (8 * (cases[i].width - 1 - k)));
		cr_assert_neq(memcmp(bad, img, sizeof(img)), 0, "%s: not a change", cases[i].what);
		reseal(bad + cases[i].rec, cases[i].len);
		cr_assert_eq(nvram_load(&nv, bad, sizeof(bad)), RMC_OK, "%s", cases[i].what);
		cr_assert(nvram_warnings(&nv) & cases[i].warn, "%s: not reported", cases[i].what);
		cr_assert_eq(nvram_sa_active(&nv, &got), RMC_OK, "%s", cases[i].what);
		if (cases[i].rec != 0x050)
			cr_assert(sa_eq(&got, &cur), "%s", cases[i].what);
		if (cases[i].rec == 0x140) {
			cr_assert_eq(nvram_rx_floor(&nv, cur.spi_in, &floor), RMC_OK);
			cr_assert_eq(floor, 0, "%s: a refused record keeps no floor",
				     cases[i].what);
		}
	}
	nvram_wipe(&nv);
}

/* Every single-bit flip outside the header: loads, and yields only a known SA. */
Test(nvram, any_bit_flip_decodes_to_a_known_state)
{
	struct nvram nv;
	struct nvram_sa sa, prev = make_sa(1), cur = make_sa(2);
	uint8_t img[NVRAM_IMAGE_SIZE], bad[NVRAM_IMAGE_SIZE];
	two_committed(&nv, img);
	for (size_t i = 0; i < NVRAM_IMAGE_SIZE; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(bad, img, sizeof(bad));
			bad[i] ^= (uint8_t)(1u << bit);
			int rc = nvram_load(&nv, bad, sizeof(bad));
			if (i < 16) {
				cr_assert_neq(rc, RMC_OK, "header byte %zu", i);
				continue;
			}
			cr_assert_eq(rc, RMC_OK, "byte %zu bit %d", i, bit);
			rc = nvram_sa_active(&nv, &sa);
			if (rc == RMC_ENOENT) {
				cr_assert(nvram_warnings(&nv), "lost SA must be reported");
				continue;
			}
			cr_assert(sa_eq(&sa, &cur) || sa_eq(&sa, &prev), "byte %zu bit %d", i, bit);
			if (!sa_eq(&sa, &cur))
				cr_assert(nvram_warnings(&nv), "byte %zu: silent rollback", i);
			uint64_t floor = 0;
			cr_assert_eq(nvram_rx_floor(&nv, sa.spi_in, &floor), RMC_OK);
			if (sa_eq(&sa, &cur) && floor != 9)
				cr_assert(floor == 7 && nvram_warnings(&nv),
					  "byte %zu bit %d: floor %llu", i, bit,
					  (unsigned long long)floor);
		}
	}
	nvram_wipe(&nv);
}

/* ---- atomicity under power cuts ---- */

static int
cut_op_at(struct nvram *nv, size_t n, int (*op)(struct nvram *, void *), void *arg)
{
	nvram_cut_at(nv, n);
	int rc = op(nv, arg);
	if (rc == RMC_OK)
		cr_assert_not(nvram_power_lost(nv));
	else
		cr_assert(nvram_power_lost(nv), "rc %d: %s", rc, nvram_error(nv));
	nvram_cut_disarm(nv);
	return rc;
}

static int
op_commit(struct nvram *nv, void *arg)
{
	return nvram_sa_commit(nv, *(uint32_t *)arg);
}

Test(nvram, power_cut_at_every_byte_of_a_commit)
{
	struct nvram nv;
	struct nvram_sa old = make_sa(9), new = make_sa(2), got;
	size_t n, torn = 0;
	for (n = 0;; n++) {
		nvram_init(&nv, NULL);
		/* three commits: both selector copies hold a record, the next overwrites one */
		stage_commit(&nv, 1);
		stage_commit(&nv, 5);
		stage_commit(&nv, 9);
		cr_assert_eq(nvram_sa_stage(&nv, &new), RMC_OK);
		int rc = cut_op_at(&nv, n, op_commit, &new.txid);
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		cr_assert_eq(nvram_warnings(&nv) & ~(unsigned)NVRAM_W_SEL_COPY, 0);
		cr_assert_eq(nvram_sa_active(&nv, &got), RMC_OK, "n=%zu", n);
		if (rc == RMC_OK) {
			cr_assert(sa_eq(&got, &new));
			break;
		}
		torn++;
		cr_assert(sa_eq(&got, &old), "n=%zu: neither old nor new", n);
		cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_OK, "still pending");
		cr_assert(sa_eq(&got, &new));
		/* and the commit can be completed after the restore */
		cr_assert_eq(nvram_sa_commit(&nv, new.txid), RMC_OK);
		cr_assert_eq(nvram_sa_active(&nv, &got), RMC_OK);
		cr_assert(sa_eq(&got, &new));
	}
	cr_assert_eq(torn, 24, "the selector record is 24 bytes");
	nvram_wipe(&nv);
}

static int
op_stage(struct nvram *nv, void *arg)
{
	return nvram_sa_stage(nv, arg);
}

Test(nvram, power_cut_at_every_byte_of_a_stage)
{
	struct nvram nv;
	struct nvram_sa act = make_sa(2), old_pend = make_sa(3), new_pend = make_sa(4), got;
	size_t n, torn = 0;
	for (n = 0;; n++) {
		nvram_init(&nv, NULL);
		stage_commit(&nv, 1);
		stage_commit(&nv, 2);
		cr_assert_eq(nvram_sa_stage(&nv, &old_pend), RMC_OK);
		int rc = cut_op_at(&nv, n, op_stage, &new_pend);
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		cr_assert_eq(nvram_sa_active(&nv, &got), RMC_OK);
		cr_assert(sa_eq(&got, &act), "n=%zu: a stage never touches the active SA", n);
		if (rc == RMC_OK) {
			cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_OK);
			cr_assert(sa_eq(&got, &new_pend));
			break;
		}
		torn++;
		/* the old pending's slot was being overwritten: gone, or (n = 0) intact */
		if (nvram_sa_pending(&nv, &got) == RMC_OK)
			cr_assert(sa_eq(&got, &old_pend), "n=%zu: garbage pending", n);
		else
			cr_assert(nvram_warnings(&nv) & NVRAM_W_SLOT_BAD, "n=%zu", n);
	}
	cr_assert_eq(torn, 168, "the slot record is 168 bytes");
	nvram_wipe(&nv);
}

static int
op_policy(struct nvram *nv, void *arg)
{
	return nvram_policy_set(nv, arg);
}

Test(nvram, power_cut_at_every_byte_of_a_policy_write)
{
	struct nvram nv;
	struct nvram_policy old = {true, 623, ASF_CLEAR_PRESENCE_PING}, new = {false, 700, 0}, got;
	size_t n;
	for (n = 0;; n++) {
		nvram_init(&nv, NULL);
		cr_assert_eq(nvram_policy_set(&nv, &old), RMC_OK);
		int rc = cut_op_at(&nv, n, op_policy, &new);
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		nvram_policy_get(&nv, &got);
		const struct nvram_policy *want = rc == RMC_OK ? &new : &old;
		cr_assert_eq(got.clear_allowed, want->clear_allowed, "n=%zu", n);
		cr_assert_eq(got.clear_port, want->clear_port, "n=%zu", n);
		cr_assert_eq(got.clear_msgs, want->clear_msgs, "n=%zu", n);
		if (rc == RMC_OK)
			break;
	}
	cr_assert_eq(n, 16);
}

static int
op_clear(struct nvram *nv, void *arg)
{
	(void)arg;
	return nvram_clear(nv);
}

/* The clear is ten erasures after one selector write: cut at every byte of all of them. */
Test(nvram, power_cut_at_every_byte_of_a_clear)
{
	struct nvram nv;
	struct nvram_sa cur = make_sa(2), got;
	size_t n, kept = 0, cleared = 0;
	for (n = 0;; n++) {
		nvram_init(&nv, NULL);
		stage_commit(&nv, 1);
		stage_commit(&nv, 2);
		int rc = cut_op_at(&nv, n, op_clear, NULL);
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_ENOENT, "n=%zu: leftover pending", n);
		if (nvram_sa_active(&nv, &got) == RMC_OK) {
			cr_assert(sa_eq(&got, &cur), "n=%zu", n);
			cr_assert_neq(rc, RMC_OK);
			kept++;
		} else {
			cleared++;
		}
		/* a new SA after the clear gets a fresh generation and starts at 1 */
		struct nvram_sa fresh = make_sa(7);
		uint64_t seq;
		nvram_cut_disarm(&nv);
		if (nvram_sa_active(&nv, &got) == RMC_ENOENT) {
			cr_assert_eq(nvram_sa_stage(&nv, &fresh), RMC_OK);
			cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_OK);
			cr_assert_gt(got.gen, 2, "n=%zu: generation went backwards", n);
			cr_assert_eq(nvram_seq_next(&nv, fresh.spi_out, &seq), RMC_OK);
			cr_assert_eq(seq, 1);
		}
		if (rc == RMC_OK)
			break;
	}
	cr_assert_eq(kept, 24, "only a torn selector write keeps the SA");
	cr_assert_eq(cleared, 2 * 168 + 4 * 24 + 4 * 24 + 1, "from the selector's last byte on");
	nvram_wipe(&nv);
}

Test(nvram, cut_at_kth_write)
{
	struct nvram nv;
	struct nvram_config cfg;
	struct nvram_sa sa = make_sa(1);
	uint64_t seq, next, limit;
	config_small_r(&cfg, 4);
	nvram_init(&nv, &cfg);
	stage_commit(&nv, 1);
	/* writes: checkpoints at seq 1, 5, 9; cut the third at byte 10 */
	nvram_cut_at_write(&nv, 2, 10);
	for (int i = 1; i <= 8; i++) {
		cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
		cr_assert_eq(seq, (uint64_t)i);
	}
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_EIO);
	cr_assert(nvram_power_lost(&nv));
	cr_assert(strstr(nvram_error(&nv), "byte 10 of 24"), "%s", nvram_error(&nv));
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_ESTATE, "dead until restored");
	cr_assert_eq(nvram_sa_commit(&nv, 1), RMC_ESTATE);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_seq_state(&nv, sa.spi_out, &next, &limit), RMC_OK);
	cr_assert_eq(next, 9);
	cr_assert_eq(nvram_stats(&nv)->cuts, 1);

	/* n past the write's length: the write lands, power goes right after */
	nvram_cut_at_write(&nv, 0, 1000);
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_EIO);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_seq_state(&nv, sa.spi_out, &next, &limit), RMC_OK);
	cr_assert_eq(next, 13, "the checkpoint 9 + 4 was written whole");
	nvram_wipe(&nv);
}

/* ---- outbound sequence numbers ---- */

Test(nvram, power_cut_at_every_byte_of_a_checkpoint)
{
	struct nvram nv;
	struct nvram_config cfg;
	struct nvram_sa sa = make_sa(1);
	size_t n, torn = 0;
	config_small_r(&cfg, 8);
	for (n = 0;; n++) {
		uint64_t seq, max_sent = 0, next, limit;
		int rc;
		nvram_init(&nv, &cfg);
		stage_commit(&nv, 1);
		for (int i = 0; i < 20; i++) { /* checkpoints written at 1, 9, 17 */
			cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
			max_sent = seq;
		}
		nvram_cut_at(&nv, n);
		while ((rc = nvram_seq_next(&nv, sa.spi_out, &seq)) == RMC_OK) {
			cr_assert_gt(seq, max_sent);
			max_sent = seq;
			if (seq == 40)
				break;
		}
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		cr_assert_eq(nvram_seq_state(&nv, sa.spi_out, &next, &limit), RMC_OK);
		cr_assert_gt(next, max_sent, "n=%zu: would reuse %llu", n,
			     (unsigned long long)next);
		cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
		cr_assert_gt(seq, max_sent);
		if (rc == RMC_OK)
			break;
		torn++;
		/* n < 24 tears the checkpoint written at 25, n in [24, 48) the one at 33 */
		uint64_t torn_at = n < 24 ? 25 : 33;
		cr_assert_eq(max_sent, torn_at - 1, "n=%zu", n);
		cr_assert_eq(next, torn_at, "n=%zu: the other copy survived", n);
	}
	cr_assert_eq(torn, 48);
	nvram_wipe(&nv);
}

Test(nvram, reserve_and_resume)
{
	struct nvram nv;
	struct nvram_config cfg;
	struct nvram_sa sa = make_sa(1);
	uint64_t seq, next, limit, writes;
	config_small_r(&cfg, 16);
	nvram_init(&nv, &cfg);
	stage_commit(&nv, 1);
	cr_assert_eq(nvram_seq_reserve(&nv, sa.spi_out, 100), RMC_OK);
	writes = nvram_stats(&nv)->checkpoints;
	cr_assert_eq(writes, 1);
	for (int i = 1; i < 100; i++)
		cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
	cr_assert_eq(seq, 99);
	cr_assert_eq(nvram_stats(&nv)->checkpoints, 1, "1..99 were reserved");
	cr_assert_eq(nvram_seq_reserve(&nv, sa.spi_out, 50), RMC_OK, "lower: no-op");
	cr_assert_eq(nvram_stats(&nv)->checkpoints, 1);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_seq_state(&nv, sa.spi_out, &next, &limit), RMC_OK);
	cr_assert_eq(next, 100, "resumes at the reservation, not at 1");
	cr_assert_eq(nvram_seq_reserve(&nv, 0xdead, 5), RMC_ENOENT);
	cr_assert_eq(nvram_seq_next(&nv, 0xdead, &seq), RMC_ENOENT);
	nvram_wipe(&nv);
}

Test(nvram, sequence_exhaustion_without_esn)
{
	struct nvram nv;
	struct nvram_sa sa = make_sa(1); /* n = 1: no ESN */
	uint64_t seq;
	cr_assert_not(sa.esn);
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	cr_assert_eq(nvram_seq_reserve(&nv, sa.spi_out, UINT32_MAX - 1ull), RMC_OK);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
	cr_assert_eq(seq, UINT32_MAX - 1ull);
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
	cr_assert_eq(seq, UINT32_MAX);
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_ESTATE, "RFC 4303 3.3.3");
	cr_assert_eq(nvram_seq_reserve(&nv, sa.spi_out, UINT64_MAX), RMC_OK, "clamped");
	nvram_wipe(&nv);
}

Test(nvram, esn_sa_goes_past_32_bits)
{
	struct nvram nv;
	struct nvram_sa sa = make_sa(2); /* n = 2: ESN */
	uint64_t seq;
	cr_assert(sa.esn);
	nvram_init(&nv, NULL);
	stage_commit(&nv, 2);
	cr_assert_eq(nvram_seq_reserve(&nv, sa.spi_out, UINT32_MAX), RMC_OK);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
	cr_assert_eq(seq, UINT32_MAX + 2ull);
	nvram_wipe(&nv);
}

Test(nvram, pending_sa_has_its_own_sequence)
{
	struct nvram nv;
	struct nvram_sa a = make_sa(1), b = make_sa(2);
	uint64_t seq;
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(nvram_seq_next(&nv, a.spi_out, &seq), RMC_OK);
	cr_assert_eq(nvram_sa_stage(&nv, &b), RMC_OK);
	cr_assert_eq(nvram_seq_next(&nv, b.spi_out, &seq), RMC_OK);
	cr_assert_eq(seq, 1, "SA_READY goes out under the new SA");
	cr_assert_eq(nvram_sa_commit(&nv, b.txid), RMC_OK);
	cr_assert_eq(nvram_seq_next(&nv, b.spi_out, &seq), RMC_OK);
	cr_assert_eq(seq, 2, "the commit keeps the pending SA's counter");
	cr_assert_eq(nvram_seq_next(&nv, a.spi_out, &seq), RMC_ENOENT, "old SA retired");
	nvram_wipe(&nv);
}

/*
 * 1,000 resets with a power cut at a random NVRAM byte, no
 * (SPI, sequence) handed out twice. The NIC's life is modelled here:
 * sending, receiving commands (a receive floor raised), refreshes (stage,
 * send SA_READY under the new SA, commit or discard), and after each reset
 * the active SA must be the last committed one or the one whose commit
 * was cut, and its receive floor at least the last one saved for it.
 */
struct pairset {
	uint64_t *k;
	size_t cap, n;
};

static bool
pairset_add(struct pairset *s, uint32_t spi, uint64_t seq)
{
	uint64_t key = ((uint64_t)spi << 40) | seq, h = key * 0x9E3779B97F4A7C15ull;
	cr_assert_lt(seq, 1ull << 40);
	cr_assert_lt(s->n, s->cap / 2);
	for (size_t i = (size_t)(h >> 40) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (s->k[i] == key)
			return false;
		if (s->k[i] == 0) {
			s->k[i] = key;
			s->n++;
			return true;
		}
	}
}

Test(nvram, thousand_resets_with_random_cuts_never_reuse_a_sequence)
{
	struct nvram nv;
	struct nvram_config cfg;
	struct pairset sent = {calloc(1u << 19, sizeof(uint64_t)), 1u << 19, 0};
	/* by SA number (make_sa's n): the highest floor saved, and the highest asked for */
	uint64_t *saved = calloc(1u << 16, sizeof(uint64_t)),
		 *asked = calloc(1u << 16, sizeof(uint64_t));
	uint64_t rng = 0x5eed2026ull, seq, floor, raised = 0;
	uint32_t next_sa = 1, committed, inflight = 0;
	unsigned cuts = 0, fell_through = 0;
	cr_assert_not_null(sent.k);
	cr_assert(saved && asked);
	config_small_r(&cfg, 16);
	nvram_init(&nv, &cfg);
	stage_commit(&nv, next_sa);
	committed = make_sa(next_sa++).spi_out;
	for (int reset = 0; reset < 1000; reset++) {
		nvram_cut_at(&nv, (size_t)(xorshift64(&rng) % 400));
		for (int op = 0; op < 120 && !nvram_power_lost(&nv); op++) {
			unsigned r = (unsigned)(xorshift64(&rng) % 100);
			struct nvram_sa sa;
			if (r < 10) {
				if (nvram_sa_active(&nv, &sa) != RMC_OK)
					continue;
				uint32_t k = sa.spi_in - 0x10000;
				floor = asked[k] + 1 + xorshift64(&rng) % 8;
				asked[k] = floor;
				if (nvram_rx_floor_raise(&nv, sa.spi_in, floor) == RMC_OK) {
					saved[k] = floor;
					raised++;
				}
			} else if (r < 85 || r >= 97) {
				bool pend = r >= 97 && nvram_sa_pending(&nv, &sa) == RMC_OK;
				if (!pend && nvram_sa_active(&nv, &sa) != RMC_OK)
					continue;
				if (nvram_seq_next(&nv, sa.spi_out, &seq) == RMC_OK)
					cr_assert(pairset_add(&sent, sa.spi_out, seq),
						  "reset %d: (%08x, %llu) sent twice", reset,
						  sa.spi_out, (unsigned long long)seq);
			} else if (r < 90) {
				sa = make_sa(next_sa++);
				nvram_sa_stage(&nv, &sa);
			} else if (r < 95) {
				if (nvram_sa_pending(&nv, &sa) != RMC_OK)
					continue;
				int rc = nvram_sa_commit(&nv, sa.txid);
				if (rc == RMC_OK)
					committed = sa.spi_out;
				else
					inflight = sa.spi_out;
			} else {
				nvram_sa_discard_pending(&nv);
			}
		}
		if (nvram_power_lost(&nv))
			cuts++;
		else
			fell_through++; /* a reset without a cut: RAM is lost all the same */
		nvram_cut_disarm(&nv);
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		cr_assert_eq(nvram_warnings(&nv) & (NVRAM_W_ACTIVE_LOST | NVRAM_W_FELL_BACK |
						    NVRAM_W_TWO_PENDING | NVRAM_W_CONFIG_LOST),
			     0, "reset %d: a power cut damaged committed state", reset);
		struct nvram_sa act;
		cr_assert_eq(nvram_sa_active(&nv, &act), RMC_OK, "reset %d", reset);
		cr_assert(act.spi_out == committed || (inflight && act.spi_out == inflight),
			  "reset %d: active %08x, committed %08x", reset, act.spi_out, committed);
		cr_assert_eq(nvram_rx_floor(&nv, act.spi_in, &floor), RMC_OK);
		cr_assert_geq(floor, saved[act.spi_in - 0x10000], "reset %d: a saved floor lost",
			      reset);
		cr_assert_leq(floor, asked[act.spi_in - 0x10000],
			      "reset %d: a floor never asked for", reset);
		committed = act.spi_out;
		inflight = 0;
	}
	cr_assert_gt(cuts, 500, "the cuts must mostly fire (%u)", cuts);
	cr_assert_gt(sent.n, 10000);
	cr_assert_gt(raised, 1000);
	cr_log_info("1000 resets: %u cut, %u clean; %zu (SPI, seq) pairs, none twice; %llu "
		    "checkpoints; %llu receive floors saved, none lost",
		    cuts, fell_through, sent.n, (unsigned long long)nvram_stats(&nv)->checkpoints,
		    (unsigned long long)raised);
	free(sent.k);
	free(saved);
	free(asked);
	nvram_wipe(&nv);
}

/* ---- the inbound replay floor ---- */

Test(nvram, receive_floor_rules)
{
	struct nvram nv;
	struct nvram_sa a = make_sa(1), b = make_sa(2);
	const struct nvram_stats *st;
	uint64_t floor;
	nvram_init(&nv, NULL);
	st = nvram_stats(&nv);
	cr_assert_eq(nvram_rx_floor(&nv, a.spi_in, &floor), RMC_ENOENT, "no SA yet");
	stage_commit(&nv, 1);
	cr_assert_eq(nvram_rx_floor(&nv, a.spi_in, &floor), RMC_OK);
	cr_assert_eq(floor, 0, "nothing persisted");
	cr_assert_eq(nvram_rx_floor_raise(&nv, a.spi_in, 0), RMC_OK, "0: nothing to keep");
	cr_assert_eq(nvram_rx_floor_raise(&nv, a.spi_in, 5), RMC_OK);
	cr_assert_eq(nvram_rx_floor_raise(&nv, a.spi_in, 5), RMC_OK, "the same again");
	cr_assert_eq(nvram_rx_floor_raise(&nv, a.spi_in, 3), RMC_OK, "lower");
	cr_assert_eq(st->rx_checkpoints, 1, "... cost no write");
	cr_assert_eq(nvram_rx_floor_raise(&nv, a.spi_in, 8), RMC_OK);
	cr_assert_eq(st->region[NVRAM_R_RXCK_S0C0].cycles, 1, "copies alternate");
	cr_assert_eq(st->region[NVRAM_R_RXCK_S0C1].cycles, 1);
	cr_assert_eq(st->region[NVRAM_R_RXCK_S0C0].bytes, 24);
	cr_assert_eq(nvram_rx_floor_raise(&nv, a.spi_in, 1ull << 32), RMC_EINVAL,
		     "past a 32-bit SA's numbers");
	cr_assert(strstr(nvram_error(&nv), "outside the sequence space"), "%s", nvram_error(&nv));
	cr_assert_eq(nvram_rx_floor_raise(&nv, 0xdead, 5), RMC_ENOENT);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_rx_floor(&nv, a.spi_in, &floor), RMC_OK);
	cr_assert_eq(floor, 8, "the larger copy wins");
	/* a new SA: its own floor; the retired one keeps its floor while its slot holds it */
	stage_commit(&nv, 2);
	cr_assert_eq(nvram_rx_floor(&nv, b.spi_in, &floor), RMC_OK);
	cr_assert_eq(floor, 0);
	cr_assert_eq(nvram_rx_floor(&nv, a.spi_in, &floor), RMC_OK);
	cr_assert_eq(floor, 8);
	cr_assert_eq(nvram_rx_floor_raise(&nv, b.spi_in, 1ull << 40), RMC_OK, "ESN SA");
	/* the slot of a is staged over: a's records are stale, the new SA starts at 0 */
	stage_commit(&nv, 3);
	cr_assert_eq(nvram_rx_floor(&nv, a.spi_in, &floor), RMC_ENOENT);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_rx_floor(&nv, make_sa(3).spi_in, &floor), RMC_OK);
	cr_assert_eq(floor, 0, "a's checkpoint in the same slot is not the new SA's");
	cr_assert_eq(nvram_rx_floor(&nv, b.spi_in, &floor), RMC_OK);
	cr_assert_eq(floor, 1ull << 40);
	cr_assert_eq(nvram_warnings(&nv), 0);
	nvram_wipe(&nv);
}

/* With neither an active nor a pending SA, a retired one in either slot is still found. */
Test(nvram, receive_floor_of_a_retired_sa_in_either_slot)
{
	struct nvram nv;
	uint64_t floor;
	for (uint32_t n = 1; n <= 2; n++) {
		struct nvram_sa sa = make_sa(n);
		nvram_init(&nv, NULL);
		if (n == 2)
			stage_commit(&nv, 9); /* slot 0 taken: the SA under test goes to slot 1 */
		cr_assert_eq(nvram_sa_stage(&nv, &sa), RMC_OK);
		cr_assert_eq(nvram_rx_floor_raise(&nv, sa.spi_in, 4), RMC_OK, "pending");
		cr_assert_eq(nvram_sa_discard_pending(&nv), RMC_OK);
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		cr_assert_eq(nvram_rx_floor(&nv, sa.spi_in, &floor), RMC_OK, "slot %u", n - 1);
		cr_assert_eq(floor, 4);
		nvram_wipe(&nv);
	}
}

static int
op_rx_floor(struct nvram *nv, void *arg)
{
	const uint64_t *floors = arg;
	int rc = nvram_rx_floor_raise(nv, make_sa(1).spi_in, floors[0]);
	return rc ? rc : nvram_rx_floor_raise(nv, make_sa(1).spi_in, floors[1]);
}

/*
 * Two receive checkpoints (floors 12, then 15) after two that filled both
 * copies (5, 9): a cut at every byte of either leaves the floor of the
 * last write that completed, or of the torn one if its bytes all landed —
 * never lower than a floor the NIC was told was saved, never garbage.
 */
Test(nvram, power_cut_at_every_byte_of_a_receive_checkpoint)
{
	struct nvram nv;
	uint64_t floors[2] = {12, 15}, floor;
	size_t n, torn = 0;
	for (n = 0;; n++) {
		nvram_init(&nv, NULL);
		stage_commit(&nv, 1);
		cr_assert_eq(nvram_rx_floor_raise(&nv, make_sa(1).spi_in, 5), RMC_OK);
		cr_assert_eq(nvram_rx_floor_raise(&nv, make_sa(1).spi_in, 9), RMC_OK);
		int rc = cut_op_at(&nv, n, op_rx_floor, floors);
		cr_assert_eq(nvram_restore(&nv), RMC_OK);
		cr_assert_eq(nvram_warnings(&nv) & ~(unsigned)NVRAM_W_RXCK_BAD, 0, "n=%zu", n);
		cr_assert_eq(nvram_rx_floor(&nv, make_sa(1).spi_in, &floor), RMC_OK);
		if (rc == RMC_OK) {
			cr_assert_eq(floor, 15);
			break;
		}
		torn++;
		/* n < 24 tears the write of 12 (over 5), n in [24, 48) that of 15 (over 9) */
		cr_assert_eq(floor, n < 24 ? 9 : 12, "n=%zu: floor %llu", n,
			     (unsigned long long)floor);
		/* the records differ first at byte 19 (the floor's last): up to it, no damage */
		cr_assert_eq((nvram_warnings(&nv) & NVRAM_W_RXCK_BAD) != 0, n % 24 >= 20, "n=%zu",
			     n);
	}
	cr_assert_eq(torn, 48, "two 24-byte records");
	nvram_wipe(&nv);
}

/* ---- the SA state machine ---- */

Test(nvram, commit_and_stage_rules)
{
	struct nvram nv;
	struct nvram_sa a = make_sa(1), b = make_sa(2), bad, got;
	nvram_init(&nv, NULL);
	cr_assert_eq(nvram_sa_commit(&nv, a.txid), RMC_ENOENT, "nothing pending");
	cr_assert_eq(nvram_sa_stage(&nv, &a), RMC_OK);
	cr_assert_eq(nvram_sa_stage(&nv, &a), RMC_OK, "same SA again");
	cr_assert_eq(nvram_stats(&nv)->stages, 1, "... costs no write");
	cr_assert_eq(nvram_sa_commit(&nv, a.txid + 1), RMC_EINVAL, "other transaction");
	cr_assert_eq(nvram_sa_commit(&nv, a.txid), RMC_OK);
	cr_assert_eq(nvram_sa_commit(&nv, a.txid), RMC_OK, "repeated CONFIRM");
	cr_assert_eq(nvram_stats(&nv)->commits, 1);

	bad = b;
	bad.spi_out = a.spi_out;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL, "active SPI reused");
	cr_assert_eq(nvram_sa_stage(&nv, &b), RMC_OK);
	bad = b;
	bad.key[0] ^= 1;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL, "pending SPI, other key");
	bad = b;
	bad.key_in[0] ^= 1;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL, "pending SPI, other inbound key");
	bad = b;
	bad.salt_in[3] ^= 1;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL, "pending SPI, other inbound salt");
	bad = b;
	bad.key_len = NVRAM_KEY_MAX + 1;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL);
	bad = make_sa(9);
	bad.suite = 0;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL);
	bad = make_sa(9);
	bad.spi_in = 0;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL, "SPI 0 is reserved, RFC 4303 2.1");
	bad = make_sa(9);
	bad.salt_len = 5;
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL);
	/* a key used both ways: GCM nonces repeat (RFC 4106 3, RFC 7296 2.17) */
	bad = make_sa(9);
	memcpy(bad.key_in, bad.key, sizeof(bad.key));
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL, "cipher key both ways");
	cr_assert(strstr(nvram_error(&nv), "both inbound and outbound"), "%s", nvram_error(&nv));
	bad = make_sa(9); /* odd n: has an integrity key */
	memcpy(bad.integ_key_in, bad.integ_key, sizeof(bad.integ_key));
	cr_assert_eq(nvram_sa_stage(&nv, &bad), RMC_EINVAL, "integrity key both ways");
	cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_OK);
	cr_assert(sa_eq(&got, &b), "refusals left the pending SA alone");

	cr_assert_eq(nvram_sa_discard_pending(&nv), RMC_OK);
	cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_ENOENT);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_ENOENT, "discard is persistent");
	cr_assert_eq(nvram_sa_active(&nv, &got), RMC_OK);
	cr_assert(sa_eq(&got, &a));
	cr_assert_eq(nvram_sa_discard_pending(&nv), RMC_OK, "nothing to discard");
	nvram_wipe(&nv);
}

/* An outbound SPI the image remembers is never staged again: it would restart at 1. */
Test(nvram, stored_spi_is_never_restaged)
{
	struct nvram nv;
	struct nvram_sa a = make_sa(1), c = make_sa(3), d = make_sa(4), again;
	uint64_t seq;
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	cr_assert_eq(nvram_seq_next(&nv, a.spi_out, &seq), RMC_OK);
	stage_commit(&nv, 2);
	again = make_sa(50);
	again.spi_out = a.spi_out;
	cr_assert_eq(nvram_sa_stage(&nv, &again), RMC_EINVAL, "retired SA's SPI");
	cr_assert(strstr(nvram_error(&nv), "already used"), "%s", nvram_error(&nv));
	/* c overwrites a's slot; a's SPI survives only in its checkpoint record */
	cr_assert_eq(nvram_sa_stage(&nv, &c), RMC_OK);
	cr_assert_eq(nvram_sa_stage(&nv, &again), RMC_EINVAL, "SPI found in a checkpoint");
	cr_assert_eq(nvram_sa_discard_pending(&nv), RMC_OK);
	again = make_sa(51);
	again.spi_out = c.spi_out;
	cr_assert_eq(nvram_sa_stage(&nv, &again), RMC_EINVAL, "discarded SA's SPI");
	cr_assert_eq(nvram_sa_stage(&nv, &c), RMC_EINVAL, "even with the same material");
	cr_assert_eq(nvram_sa_stage(&nv, &d), RMC_OK);
	nvram_wipe(&nv);
}

Test(nvram, repeated_confirm_with_a_new_refresh_pending)
{
	struct nvram nv;
	struct nvram_sa a = make_sa(1), b = make_sa(2), got;
	nvram_init(&nv, NULL);
	stage_commit(&nv, 1);
	cr_assert_eq(nvram_sa_stage(&nv, &b), RMC_OK);
	cr_assert_eq(nvram_sa_commit(&nv, a.txid), RMC_OK, "old CONFIRM retransmitted");
	cr_assert_eq(nvram_sa_pending(&nv, &got), RMC_OK, "the new refresh is untouched");
	cr_assert(sa_eq(&got, &b));
	cr_assert_eq(nvram_sa_commit(&nv, 0x1234), RMC_EINVAL);
	cr_assert_eq(nvram_stats(&nv)->commits, 1);
	nvram_wipe(&nv);
}

Test(nvram, clear_request_policy)
{
	struct nvram_policy p = {true, 623, ASF_CLEAR_PRESENCE_PING | ASF_CLEAR_POWER_CYCLE};
	static const struct {
		uint8_t type;
		unsigned bit;
	} map[] = {
	    {0x80, ASF_CLEAR_PRESENCE_PING}, {0x81, ASF_CLEAR_CAPABILITIES},
	    {0x82, ASF_CLEAR_SYSTEM_STATE},  {0x10, ASF_CLEAR_RESET},
	    {0x11, ASF_CLEAR_POWER_UP},	     {0x12, ASF_CLEAR_POWER_DOWN},
	    {0x13, ASF_CLEAR_POWER_CYCLE},
	};
	cr_assert(nvram_clear_request_allowed(&p, 623, 0x80));
	cr_assert(nvram_clear_request_allowed(&p, 623, 0x13));
	cr_assert_not(nvram_clear_request_allowed(&p, 623, 0x10), "reset not allowed");
	cr_assert_not(nvram_clear_request_allowed(&p, 664, 0x80), "wrong port");
	cr_assert_not(nvram_clear_request_allowed(&p, 623, 0x40), "a response is no request");
	p.clear_allowed = false;
	cr_assert_not(nvram_clear_request_allowed(&p, 623, 0x80), "secure-only");
	p.clear_allowed = true;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		p.clear_msgs = (uint16_t)map[i].bit;
		for (size_t j = 0; j < sizeof(map) / sizeof(map[0]); j++)
			cr_assert_eq(nvram_clear_request_allowed(&p, 623, map[j].type), i == j,
				     "bit %zu, type %02x", i, map[j].type);
	}
}

Test(nvram, clear_keeps_config_and_wipes_keys)
{
	struct nvram nv;
	struct nvram_config cfg;
	struct nvram_sa got, sas[2] = {make_sa(1), make_sa(2)};
	struct nvram_policy p;
	uint8_t img[NVRAM_IMAGE_SIZE];
	nvram_config_default(&cfg);
	cfg.policy.clear_allowed = true;
	cfg.policy.clear_msgs = ASF_CLEAR_PRESENCE_PING;
	nvram_init(&nv, &cfg);
	stage_commit(&nv, 1);
	stage_commit(&nv, 2);
	/* the check below can fail: before the clear, every key is in the image */
	copy_image(&nv, img);
	cr_assert(contains(img, sizeof(img), sas[0].key_in, sas[0].key_len));
	cr_assert(contains(img, sizeof(img), sas[1].salt_in, sas[1].salt_len));
	cr_assert_eq(nvram_clear(&nv), RMC_OK);
	cr_assert_eq(nvram_sa_active(&nv, &got), RMC_ENOENT);
	copy_image(&nv, img);
	for (int k = 0; k < 2; k++) {
		const struct nvram_sa *a = &sas[k];
		const struct {
			const uint8_t *p;
			size_t len;
			const char *what;
		} keys[] = {
		    {a->key, a->key_len, "outbound key"},
		    {a->salt, a->salt_len, "outbound salt"},
		    {a->integ_key, a->integ_key_len, "outbound integrity key"},
		    {a->key_in, a->key_len, "inbound key"},
		    {a->salt_in, a->salt_len, "inbound salt"},
		    {a->integ_key_in, a->integ_key_len, "inbound integrity key"},
		};
		for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
			if (keys[j].len)
				cr_assert_not(contains(img, sizeof(img), keys[j].p, keys[j].len),
					      "SA %d: %s left in the image", k + 1, keys[j].what);
	}
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert_eq(nvram_sa_active(&nv, &got), RMC_ENOENT, "cold boot");
	nvram_policy_get(&nv, &p);
	cr_assert(p.clear_allowed);
	cr_assert_eq(p.clear_msgs, ASF_CLEAR_PRESENCE_PING);
	cr_assert_eq(nvram_stats(&nv)->clears, 1);
	nvram_wipe(&nv);
}

Test(nvram, policy_set_rejects_bad_values)
{
	struct nvram nv;
	struct nvram_policy p = {true, 0, 0};
	nvram_init(&nv, NULL);
	cr_assert_eq(nvram_policy_set(&nv, &p), RMC_EINVAL, "port 0");
	p.clear_port = 623;
	p.clear_msgs = 0x80;
	cr_assert_eq(nvram_policy_set(&nv, &p), RMC_EINVAL, "unknown message bit");
}

/* ---- endurance ---- */

Test(nvram, endurance_counts_cycles_per_region)
{
	struct nvram nv;
	struct nvram_config cfg;
	struct nvram_sa sa = make_sa(1);
	const struct nvram_stats *st;
	uint64_t seq;
	config_small_r(&cfg, 10);
	cfg.endurance_budget = 6;
	cfg.enforce_endurance = true;
	nvram_init(&nv, &cfg);
	stage_commit(&nv, 1);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
	st = nvram_stats(&nv);
	/* 100 numbers, R = 10: 10 checkpoints, alternating between the two copies */
	cr_assert_eq(st->checkpoints, 10);
	cr_assert_eq(st->region[NVRAM_R_CKPT_S0C0].cycles, 5);
	cr_assert_eq(st->region[NVRAM_R_CKPT_S0C1].cycles, 5);
	cr_assert_eq(st->region[NVRAM_R_CKPT_S0C0].bytes, 5 * 24);
	cr_assert_eq(st->region[NVRAM_R_SLOT0].cycles, 1);
	cr_assert_eq(st->region[NVRAM_R_SEL0].cycles, 1);
	cr_assert_eq(st->writes, 12);
	cr_assert_eq(st->region[NVRAM_R_SLOT0].bytes, 168);
	cr_assert_eq(st->bytes, 168 + 24 + 10 * 24);
	cr_assert_eq(st->max_cycles, 5);
	cr_assert_eq(st->worn_regions, 0);
	for (int i = 0; i < 20; i++)
		cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_OK);
	cr_assert_eq(st->worn_regions, 2, "both copies reached 6 cycles");
	/* the next checkpoint is refused: a worn EEPROM cannot promise the number */
	cr_assert_eq(nvram_seq_next(&nv, sa.spi_out, &seq), RMC_EIO);
	cr_assert(strstr(nvram_error(&nv), "worn"), "%s", nvram_error(&nv));
	cr_assert_eq(st->refused_worn, 1);
	cr_assert_not(nvram_power_lost(&nv));
	nvram_wipe(&nv);
}

Test(nvram, torn_writes_count_as_cycles)
{
	struct nvram nv;
	struct nvram_sa sa = make_sa(1);
	nvram_init(&nv, NULL);
	nvram_cut_at(&nv, 3);
	cr_assert_eq(nvram_sa_stage(&nv, &sa), RMC_EIO);
	cr_assert_eq(nvram_stats(&nv)->region[NVRAM_R_SLOT0].cycles, 1);
	cr_assert_eq(nvram_stats(&nv)->region[NVRAM_R_SLOT0].bytes, 3);
	cr_assert_eq(nvram_restore(&nv), RMC_OK);
	cr_assert(nvram_warnings(&nv) & NVRAM_W_SLOT_BAD, "a torn slot is reported");
	cr_assert_eq(nvram_stats(&nv)->cuts, 1, "stats survive a restore");
}

/* ---- files ---- */

static void
tmp_path(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/nvram_test_%ld_%s", RMCPSEC_BIN_DIR, (long)getpid(), name);
}

Test(nvram, file_round_trip)
{
	struct nvram a, b;
	struct nvram_sa got, want = make_sa(1);
	char path[512];
	tmp_path(path, sizeof(path), "rt.img");
	nvram_init(&a, NULL);
	stage_commit(&a, 1);
	cr_assert_eq(nvram_file_save(&a, path), RMC_OK, "%s", nvram_error(&a));
	nvram_init(&b, NULL);
	cr_assert_eq(nvram_file_load(&b, path), RMC_OK, "%s", nvram_error(&b));
	cr_assert_eq(nvram_sa_active(&b, &got), RMC_OK);
	cr_assert(sa_eq(&got, &want));
	cr_assert_arr_eq(a.img, b.img, NVRAM_IMAGE_SIZE);
	remove(path);
	nvram_wipe(&a);
	nvram_wipe(&b);
}

Test(nvram, truncated_file_is_named)
{
	struct nvram nv;
	char path[512];
	FILE *f;
	tmp_path(path, sizeof(path), "short.img");
	nvram_init(&nv, NULL);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	fwrite(nv.img, 1, 300, f);
	fclose(f);
	cr_assert_eq(nvram_file_load(&nv, path), RMC_ETRUNC);
	cr_assert(strstr(nvram_error(&nv), path), "%s", nvram_error(&nv));
	cr_assert(strstr(nvram_error(&nv), "truncated image: 300 of 768"), "%s", nvram_error(&nv));
	remove(path);

	tmp_path(path, sizeof(path), "absent.img");
	cr_assert_eq(nvram_file_load(&nv, path), RMC_EIO);
	cr_assert(strstr(nvram_error(&nv), path), "%s", nvram_error(&nv));
	cr_assert_eq(nvram_file_save(&nv, "/nonexistent-dir/x.img"), RMC_EIO);
}

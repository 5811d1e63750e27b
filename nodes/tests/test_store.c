/*
 * nodes/store: the server's SQLite SA store. Every field round-trips for
 * both slots; promote, ack, drop, clear and reopen do what store.h says;
 * reservations only grow; damaged, foreign and unopenable files are
 * refused with a message; and a writer SIGKILLed at seeded random points
 * never loses what it reported committed (docs/store.md).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nodes/store.h"
#include "nodes/store_blob.h"
#include "proto/err.h"
#include "proto/rd.h"

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

static void
fill(uint8_t *p, size_t n, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)xorshift64(rng);
}

/* Every byte of every array set (beyond the lengths too), so a round trip checks them all. */
static struct nvram_sa
make_sa(uint32_t n)
{
	struct nvram_sa sa;
	uint64_t rng = 0x9e3779b97f4a7c15ull ^ n;

	memset(&sa, 0, sizeof(sa));
	sa.spi_in = 0x10000 + n;
	sa.spi_out = 0x20000 + n;
	sa.suite = (uint8_t)(1 + n % 5);
	sa.esn = n & 1;
	sa.key_len = (n & 2) ? 32 : 16;
	sa.salt_len = 4;
	sa.integ_key_len = (n & 4) ? 32 : 0;
	fill(sa.key, sizeof(sa.key), &rng);
	fill(sa.salt, sizeof(sa.salt), &rng);
	fill(sa.integ_key, sizeof(sa.integ_key), &rng);
	fill(sa.key_in, sizeof(sa.key_in), &rng);
	fill(sa.salt_in, sizeof(sa.salt_in), &rng);
	fill(sa.integ_key_in, sizeof(sa.integ_key_in), &rng);
	fill(sa.peer_ip, sizeof(sa.peer_ip), &rng);
	sa.txid = 0x7000 + n;
	sa.gen = 0x300 + n;
	return sa;
}

static uint32_t
txid_of(uint32_t n)
{
	return 0xA0000 + n;
}

static bool
sa_eq(const struct nvram_sa *a, const struct nvram_sa *b)
{
	return a->spi_in == b->spi_in && a->spi_out == b->spi_out && a->suite == b->suite &&
	       a->esn == b->esn && a->key_len == b->key_len && a->salt_len == b->salt_len &&
	       a->integ_key_len == b->integ_key_len && a->txid == b->txid && a->gen == b->gen &&
	       !memcmp(a->key, b->key, sizeof(a->key)) &&
	       !memcmp(a->salt, b->salt, sizeof(a->salt)) &&
	       !memcmp(a->integ_key, b->integ_key, sizeof(a->integ_key)) &&
	       !memcmp(a->key_in, b->key_in, sizeof(a->key_in)) &&
	       !memcmp(a->salt_in, b->salt_in, sizeof(a->salt_in)) &&
	       !memcmp(a->integ_key_in, b->integ_key_in, sizeof(a->integ_key_in)) &&
	       !memcmp(a->peer_ip, b->peer_ip, sizeof(a->peer_ip));
}

/* ---- a private directory per test ---- */

static char g_dir[64];
static char g_db[PATH_MAX];

static void
dir_make(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/rmcpsec-store-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir), "mkdtemp: %s", strerror(errno));
	snprintf(g_db, sizeof(g_db), "%s/store.db", g_dir);
}

static void
dir_remove_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[PATH_MAX + 300];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR) {
			dir_remove_files(p);
			rmdir(p);
		} else {
			unlink(p);
		}
	}
	closedir(d);
}

static void
dir_remove(void)
{
	if (!g_dir[0])
		return;
	dir_remove_files(g_dir);
	rmdir(g_dir);
	g_dir[0] = 0;
}

TestSuite(store, .init = dir_make, .fini = dir_remove);

static struct store *
open_ok(const char *path)
{
	struct store *s = NULL;
	char err[STORE_ERR_LEN];
	int rc = store_open(path, &s, err, sizeof(err));

	cr_assert_eq(rc, RMC_OK, "store_open(%s): %d %s", path, rc, err);
	cr_assert_not_null(s);
	return s;
}

static void
put(struct store *s, const char *client, enum store_slot slot, uint32_t n)
{
	struct nvram_sa sa = make_sa(n);
	int rc = store_put_sa(s, client, slot, &sa, txid_of(n));

	cr_assert_eq(rc, RMC_OK, "put %s/%d/%u: %d %s", client, slot, n, rc, store_error(s));
}

static struct store_sa
get(struct store *s, const char *client, enum store_slot slot)
{
	struct store_sa out;
	int rc;

	memset(&out, 0xEE, sizeof(out));
	rc = store_get_sa(s, client, slot, &out);
	cr_assert_eq(rc, RMC_OK, "get %s/%d: %d %s", client, slot, rc, store_error(s));
	return out;
}

static void
expect_sa(struct store *s, const char *client, enum store_slot slot, uint32_t n, bool acked,
	  uint64_t reserved)
{
	struct store_sa got = get(s, client, slot);
	struct nvram_sa want = make_sa(n);

	cr_assert(sa_eq(&got.sa, &want), "%s/%d: SA is not make_sa(%u)", client, slot, n);
	cr_assert_eq(got.txid, txid_of(n), "%s/%d: txid %#x", client, slot, got.txid);
	cr_assert_eq(got.acked, acked, "%s/%d: acked %d", client, slot, got.acked);
	cr_assert_eq(got.seq_reserved, reserved, "%s/%d: reserved %llu, want %llu", client, slot,
		     (unsigned long long)got.seq_reserved, (unsigned long long)reserved);
}

static void
expect_none(struct store *s, const char *client, enum store_slot slot)
{
	struct store_sa out;
	cr_assert_eq(store_get_sa(s, client, slot, &out), RMC_ENOENT, "%s/%d should be empty",
		     client, slot);
}

static void
reserve(struct store *s, const char *client, uint32_t n, uint64_t upto)
{
	struct nvram_sa sa = make_sa(n);
	int rc = store_seq_reserve(s, client, store_sa_spi_out(&sa), upto);

	cr_assert_eq(rc, RMC_OK, "reserve %s/%u %llu: %d %s", client, n, (unsigned long long)upto,
		     rc, store_error(s));
}

static size_t
count(struct store *s)
{
	size_t n = 12345;
	cr_assert_eq(store_count(s, &n), RMC_OK, "%s", store_error(s));
	return n;
}

/* ---- the API ---- */

Test(store, round_trip_every_field_both_slots)
{
	struct store *s = open_ok(g_db);
	struct nvram_sa edge = make_sa(7);
	struct store_sa got;

	put(s, "nic-a", STORE_CUR, 1);
	put(s, "nic-a", STORE_NEW, 2);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 0);
	expect_sa(s, "nic-a", STORE_NEW, 2, false, 0);
	for (uint32_t n = 3; n < 11; n++) { /* esn, key lengths and integrity on and off */
		put(s, "nic-b", (enum store_slot)(n & 1), n);
		expect_sa(s, "nic-b", (enum store_slot)(n & 1), n, false, 0);
	}
	/* The widest values every integer column holds. */
	edge.spi_in = edge.spi_out = edge.txid = edge.gen = UINT32_MAX;
	edge.suite = UINT8_MAX;
	cr_assert_eq(store_put_sa(s, "nic-c", STORE_CUR, &edge, UINT32_MAX), RMC_OK);
	cr_assert_eq(store_seq_reserve(s, "nic-c", UINT32_MAX, INT64_MAX), RMC_OK);
	cr_assert_eq(store_get_sa(s, "nic-c", STORE_CUR, &got), RMC_OK);
	cr_assert(sa_eq(&got.sa, &edge));
	cr_assert_eq(got.txid, UINT32_MAX);
	cr_assert_eq(got.seq_reserved, (uint64_t)INT64_MAX);
	store_close(s);
}

Test(store, absent_and_invalid_arguments)
{
	struct store *s = open_ok(g_db);
	struct nvram_sa sa = make_sa(1);
	struct store_sa out;
	char long_name[STORE_CLIENT_MAX + 2];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	expect_none(s, "nic-a", STORE_CUR);
	expect_none(s, "nic-a", STORE_NEW);
	cr_assert_eq(store_put_sa(s, NULL, STORE_CUR, &sa, 1), RMC_EINVAL);
	cr_assert_eq(store_put_sa(s, "", STORE_CUR, &sa, 1), RMC_EINVAL);
	cr_assert_eq(store_put_sa(s, long_name, STORE_CUR, &sa, 1), RMC_EINVAL);
	long_name[STORE_CLIENT_MAX] = 0; /* exactly the maximum is fine */
	cr_assert_eq(store_put_sa(s, long_name, STORE_CUR, &sa, 1), RMC_OK, "%s", store_error(s));
	cr_assert_eq(store_put_sa(s, "nic-a", (enum store_slot)2, &sa, 1), RMC_EINVAL);
	cr_assert_eq(store_put_sa(s, "nic-a", STORE_CUR, NULL, 1), RMC_EINVAL);
	cr_assert_eq(store_get_sa(s, "nic-a", STORE_CUR, NULL), RMC_EINVAL);
	cr_assert_eq(store_get_sa(NULL, "nic-a", STORE_CUR, &out), RMC_EINVAL);
	cr_assert_eq(store_promote(s, "nic-a"), RMC_ENOENT);
	cr_assert_eq(store_drop(s, "nic-a", STORE_CUR), RMC_ENOENT);
	cr_assert_eq(store_mark_acked(s, "nic-a", 1), RMC_ENOENT);
	cr_assert_eq(store_seq_reserve(s, "nic-a", sa.spi_in, 1), RMC_ENOENT);
	cr_assert_eq(store_count(s, NULL), RMC_EINVAL);
	cr_assert_eq(count(s), 1);
	store_close(s);
	store_close(NULL);
}

Test(store, put_replaces_and_keeps_a_known_spis_reservation)
{
	struct store *s = open_ok(g_db);

	put(s, "nic-a", STORE_CUR, 1);
	reserve(s, "nic-a", 1, 100);
	cr_assert_eq(store_mark_acked(s, "nic-a", txid_of(1)), RMC_OK);
	put(s, "nic-a", STORE_CUR, 1); /* the same SA again: reservation kept, ack reset */
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 100);
	put(s, "nic-a", STORE_CUR, 3); /* a new SPI starts at 0 */
	expect_sa(s, "nic-a", STORE_CUR, 3, false, 0);
	put(s, "nic-b", STORE_CUR, 1); /* another client's same SPI is its own */
	expect_sa(s, "nic-b", STORE_CUR, 1, false, 0);
	reserve(s, "nic-b", 1, 9);
	put(s, "nic-b", STORE_NEW, 1); /* NEW with CUR's outbound SPI inherits CUR's 9 */
	expect_sa(s, "nic-b", STORE_NEW, 1, false, 9);
	store_close(s);
}

Test(store, mark_acked_marks_only_that_transaction)
{
	struct store *s = open_ok(g_db);

	put(s, "nic-a", STORE_CUR, 1);
	put(s, "nic-a", STORE_NEW, 2);
	put(s, "nic-b", STORE_NEW, 2);
	cr_assert_eq(store_mark_acked(s, "nic-a", txid_of(2)), RMC_OK, "%s", store_error(s));
	expect_sa(s, "nic-a", STORE_NEW, 2, true, 0);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 0);
	expect_sa(s, "nic-b", STORE_NEW, 2, false, 0);
	cr_assert_eq(store_mark_acked(s, "nic-a", txid_of(9)), RMC_ENOENT);
	cr_assert_eq(store_mark_acked(s, "nic-c", txid_of(2)), RMC_ENOENT);
	cr_assert_eq(store_mark_acked(s, "nic-a", txid_of(2)), RMC_OK); /* repeated SA_ACK */
	expect_sa(s, "nic-a", STORE_NEW, 2, true, 0);
	store_close(s);
}

Test(store, promote_moves_new_with_its_ack_and_reservation)
{
	struct store *s = open_ok(g_db);

	put(s, "nic-a", STORE_CUR, 1);
	reserve(s, "nic-a", 1, 500);
	put(s, "nic-a", STORE_NEW, 2);
	reserve(s, "nic-a", 2, 7);
	cr_assert_eq(store_mark_acked(s, "nic-a", txid_of(2)), RMC_OK);
	cr_assert_eq(store_promote(s, "nic-a"), RMC_OK, "%s", store_error(s));
	expect_sa(s, "nic-a", STORE_CUR, 2, true, 7);
	expect_none(s, "nic-a", STORE_NEW);
	cr_assert_eq(store_promote(s, "nic-a"), RMC_ENOENT);
	expect_sa(s, "nic-a", STORE_CUR, 2, true, 7);
	/* The old SPI is gone with its row. */
	cr_assert_eq(store_seq_reserve(s, "nic-a", make_sa(1).spi_in, 600), RMC_ENOENT);
	/* A client with only NEW (first SA after a cold boot) */
	put(s, "nic-b", STORE_NEW, 4);
	cr_assert_eq(store_promote(s, "nic-b"), RMC_OK);
	expect_sa(s, "nic-b", STORE_CUR, 4, false, 0);
	expect_none(s, "nic-b", STORE_NEW);
	store_close(s);
}

Test(store, drop_removes_one_slot)
{
	struct store *s = open_ok(g_db);

	put(s, "nic-a", STORE_CUR, 1);
	put(s, "nic-a", STORE_NEW, 2);
	cr_assert_eq(store_drop(s, "nic-a", STORE_NEW), RMC_OK);
	expect_none(s, "nic-a", STORE_NEW);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 0);
	cr_assert_eq(store_drop(s, "nic-a", STORE_NEW), RMC_ENOENT);
	cr_assert_eq(store_drop(s, "nic-a", STORE_CUR), RMC_OK);
	expect_none(s, "nic-a", STORE_CUR);
	cr_assert_eq(count(s), 0);
	store_close(s);
}

Test(store, clear_forgets_every_client)
{
	struct store *s = open_ok(g_db);

	put(s, "nic-a", STORE_CUR, 1);
	put(s, "nic-a", STORE_NEW, 2);
	put(s, "nic-b", STORE_NEW, 3);
	put(s, "nic-c", STORE_CUR, 4);
	cr_assert_eq(count(s), 3); /* clients, not rows */
	cr_assert_eq(store_clear(s), RMC_OK);
	cr_assert_eq(count(s), 0);
	expect_none(s, "nic-a", STORE_CUR);
	expect_none(s, "nic-b", STORE_NEW);
	cr_assert_eq(store_clear(s), RMC_OK);
	store_close(s);
	s = open_ok(g_db);
	cr_assert_eq(count(s), 0);
	store_close(s);
}

Test(store, reopen_keeps_everything)
{
	struct store *s = open_ok(g_db);

	put(s, "nic-a", STORE_CUR, 1);
	put(s, "nic-a", STORE_NEW, 2);
	put(s, "nic-b", STORE_CUR, 3);
	reserve(s, "nic-a", 1, 1000);
	reserve(s, "nic-a", 2, 20);
	reserve(s, "nic-b", 3, 1ull << 40);
	cr_assert_eq(store_mark_acked(s, "nic-a", txid_of(2)), RMC_OK);
	store_close(s);
	s = open_ok(g_db);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 1000);
	expect_sa(s, "nic-a", STORE_NEW, 2, true, 20);
	expect_sa(s, "nic-b", STORE_CUR, 3, false, 1ull << 40);
	cr_assert_eq(count(s), 2);
	cr_assert_eq(store_integrity_check(s), RMC_OK, "%s", store_error(s));
	store_close(s);
}

Test(store, reservation_only_grows)
{
	struct store *s = open_ok(g_db);
	struct nvram_sa sa = make_sa(1);

	put(s, "nic-a", STORE_CUR, 1);
	reserve(s, "nic-a", 1, 100);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 100);
	reserve(s, "nic-a", 1, 50); /* smaller: accepted, ignored */
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 100);
	reserve(s, "nic-a", 1, 0);
	reserve(s, "nic-a", 1, 100);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 100);
	reserve(s, "nic-a", 1, 101);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 101);
	/* Keyed by the server's outbound SPI, the NIC's spi_in, not the NIC's spi_out. */
	cr_assert_eq(store_sa_spi_out(&sa), sa.spi_in);
	cr_assert_eq(store_seq_reserve(s, "nic-a", sa.spi_out, 200), RMC_ENOENT);
	cr_assert_eq(store_seq_reserve(s, "nic-z", sa.spi_in, 200), RMC_ENOENT);
	cr_assert_eq(store_seq_reserve(s, "nic-a", sa.spi_in, (uint64_t)INT64_MAX + 1), RMC_EINVAL);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 101);
	store_close(s);
}

/* Primary and secondary with the file open at once (WAL: readers do not block the writer). */
Test(store, two_connections_see_each_others_commits)
{
	struct store *a = open_ok(g_db);
	struct store *b = open_ok(g_db);

	put(a, "nic-a", STORE_CUR, 1);
	reserve(a, "nic-a", 1, 64);
	expect_sa(b, "nic-a", STORE_CUR, 1, false, 64);
	reserve(b, "nic-a", 1, 128);
	reserve(a, "nic-a", 1, 96); /* the primary's late, smaller reservation cannot lower it */
	expect_sa(a, "nic-a", STORE_CUR, 1, false, 128);
	store_close(a);
	store_close(b);
}

/* ---- the SA blob ---- */

/* Sets one byte and re-seals the CRC, so the field check, not the CRC, is what refuses. */
static void
set_field(uint8_t *b, size_t off, uint8_t v)
{
	b[off] = v;
	put_be32(b + STORE_BLOB_BODY_LEN, nvram_crc32(b, STORE_BLOB_BODY_LEN));
}

Test(store, blob_layout_and_every_malformation)
{
	struct nvram_sa sa = make_sa(6), got;
	uint8_t b[STORE_BLOB_LEN + 1];

	cr_assert_eq(STORE_BLOB_LEN, 166);
	store_blob_encode(&sa, b);
	/* docs/store.md: version, spi_in, spi_out big-endian, then suite, esn, lengths */
	cr_assert_eq(b[0], 1);
	cr_assert_eq(b[1], 0x00);
	cr_assert_eq(b[2], 0x01);
	cr_assert_eq(b[3], 0x00);
	cr_assert_eq(b[4], 0x06);
	cr_assert_eq(b[8], 0x06);
	cr_assert_eq(b[9], sa.suite);
	cr_assert_eq(b[10], sa.esn);
	cr_assert_eq(b[11], sa.key_len);
	cr_assert(!memcmp(b + 14, sa.key, NVRAM_KEY_MAX));
	cr_assert(!memcmp(b + 82, sa.key_in, NVRAM_KEY_MAX));
	cr_assert(!memcmp(b + 150, sa.peer_ip, 4));
	cr_assert_eq(b[STORE_BLOB_BODY_LEN - 1], (uint8_t)sa.gen);
	cr_assert_eq(get_be32(b + STORE_BLOB_BODY_LEN), nvram_crc32(b, STORE_BLOB_BODY_LEN));
	cr_assert_eq(store_blob_decode(b, STORE_BLOB_LEN, &got), RMC_OK);
	cr_assert(sa_eq(&got, &sa));
	for (size_t n = 0; n < STORE_BLOB_LEN; n++)
		cr_assert_eq(store_blob_decode(b, n, &got), RMC_ETRUNC, "length %zu", n);
	cr_assert_eq(store_blob_decode(b, STORE_BLOB_LEN + 1, &got), RMC_EINVAL);
	b[0] = 2;
	cr_assert_eq(store_blob_decode(b, STORE_BLOB_LEN, &got), RMC_EUNSUP);
	b[0] = 1;
	for (size_t i = 1; i < STORE_BLOB_LEN; i++) { /* any flipped bit: the CRC */
		b[i] ^= 0x10;
		cr_assert_eq(store_blob_decode(b, STORE_BLOB_LEN, &got), RMC_EINVAL, "byte %zu", i);
		b[i] ^= 0x10;
	}
	set_field(b, 10, 2); /* esn */
	cr_assert_eq(store_blob_decode(b, STORE_BLOB_LEN, &got), RMC_EINVAL);
	set_field(b, 10, 0);
	for (int i = 11; i <= 13; i++) { /* key_len, salt_len, integ_key_len one over */
		uint8_t keep = b[i];
		set_field(b, (size_t)i,
			  (uint8_t)(i == 12 ? NVRAM_SALT_MAX + 1 : NVRAM_KEY_MAX + 1));
		cr_assert_eq(store_blob_decode(b, STORE_BLOB_LEN, &got), RMC_EINVAL, "byte %d", i);
		set_field(b, (size_t)i, keep);
	}
	cr_assert_eq(store_blob_decode(b, STORE_BLOB_LEN, &got), RMC_OK);
	cr_assert(sa_eq(&got, &sa));
}

/* ---- files that are not a good store ---- */

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	cr_assert_eq(fwrite(p, 1, n, f), n);
	cr_assert_eq(fclose(f), 0);
}

static uint8_t *
read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long len;

	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)len + 1);
	cr_assert_not_null(p);
	cr_assert_eq(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

/* Refused with rc, a message naming the path and containing `why`, and no store. */
static void
expect_refused(const char *path, int want_rc, const char *why)
{
	struct store *s = (struct store *)&g_dir; /* must be reset to NULL */
	char err[STORE_ERR_LEN];
	int rc;

	memset(err, 0, sizeof(err));
	rc = store_open(path, &s, err, sizeof(err));
	cr_assert_eq(rc, want_rc, "%s: rc %d, want %d (%s)", path, rc, want_rc, err);
	cr_assert_null(s, "%s: a store was returned", path);
	cr_assert(strstr(err, path), "%s: error does not name the file: %s", path, err);
	cr_assert(strstr(err, why), "%s: error \"%s\" lacks \"%s\"", path, err, why);
	cr_log_info("refused as expected: %s", err);
}

Test(store, zero_length_file_is_a_new_store)
{
	struct store *s;

	write_file(g_db, "", 0);
	s = open_ok(g_db);
	cr_assert_eq(count(s), 0);
	put(s, "nic-a", STORE_CUR, 1);
	store_close(s);
	s = open_ok(g_db);
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 0);
	store_close(s);
}

Test(store, garbage_files_are_refused)
{
	uint8_t junk[8192];
	uint64_t rng = 42;
	const char text[] = "this is a text file, not a database\n";
	const char long_text[] = "SQLite format 3 is what this text file says, but it says"
				 " it in plain text, over more than one hundred bytes.\n";

	fill(junk, sizeof(junk), &rng);
	write_file(g_db, junk, sizeof(junk));
	expect_refused(g_db, RMC_EIO, "not a SQLite database");
	write_file(g_db, junk, 600); /* not even one page */
	expect_refused(g_db, RMC_EIO, "not a SQLite database");
	write_file(g_db, long_text, sizeof(long_text) - 1);
	expect_refused(g_db, RMC_EIO, "not a SQLite database");
	/* Shorter than SQLite's header: SQLite itself would take "S" for an empty database. */
	write_file(g_db, "S", 1);
	expect_refused(g_db, RMC_EIO, "shorter than a SQLite header");
	write_file(g_db, text, sizeof(text) - 1);
	expect_refused(g_db, RMC_EIO, "shorter than a SQLite header");
	/* The refusal wrote nothing: the garbage is still there, byte for byte. */
	size_t n;
	uint8_t *back = read_file(g_db, &n);
	cr_assert_eq(n, sizeof(text) - 1);
	cr_assert(!memcmp(back, text, n));
	free(back);
}

/* A store with a few clients, closed (checkpointed into the main file); returns its bytes. */
static uint8_t *
real_store_bytes(size_t *n)
{
	struct store *s = open_ok(g_db);
	char name[32];

	for (uint32_t i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "nic-%02u", i);
		put(s, name, STORE_CUR, i);
		put(s, name, STORE_NEW, i + 100);
		reserve(s, name, i, 1000 + i);
	}
	store_close(s);
	return read_file(g_db, n);
}

Test(store, truncated_copies_are_refused)
{
	size_t n;
	uint8_t *img = real_store_bytes(&n);
	char copy[PATH_MAX + 32];
	size_t cuts[] = {1, 16, 99, 100, 101, 512, 4095, 4096, 4097, 8192, 0, 0, 0};
	size_t ncuts = sizeof(cuts) / sizeof(cuts[0]);

	cr_assert_gt(n, 3 * 4096, "the store is %zu bytes: too small to cut pages off", n);
	cuts[ncuts - 3] = n - 4096;
	cuts[ncuts - 2] = n - 100;
	cuts[ncuts - 1] = n - 1;
	for (size_t i = 0; i < ncuts; i++) {
		snprintf(copy, sizeof(copy), "%s/cut-%zu.db", g_dir, cuts[i]);
		write_file(copy, img, cuts[i]);
		expect_refused(copy, RMC_EIO, "");
	}
	/* The uncut copy is fine: the refusals above are about the cuts. */
	snprintf(copy, sizeof(copy), "%s/whole.db", g_dir);
	write_file(copy, img, n);
	store_close(open_ok(copy));
	free(img);
}

Test(store, damaged_page_is_refused)
{
	size_t n;
	uint8_t *img = real_store_bytes(&n);
	char copy[PATH_MAX + 32];

	/* Page 2 holds the sa table's root: scribble over its cell area. */
	memset(img + 4096 + 8, 0x5A, 200);
	snprintf(copy, sizeof(copy), "%s/damaged.db", g_dir);
	write_file(copy, img, n);
	expect_refused(copy, RMC_EIO, "");
	free(img);
}

static void
sql(const char *path, const char *statements)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, statements, NULL, NULL, &msg), SQLITE_OK, "%s", msg);
	sqlite3_close(db);
}

Test(store, foreign_database_is_refused_and_left_alone)
{
	size_t n;
	uint8_t *img;

	sql(g_db, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('x');");
	expect_refused(g_db, RMC_EINVAL, "not an rmcpsec store");
	img = read_file(g_db, &n);
	/* Header bytes 18 and 19: 1 = rollback journal, 2 = WAL; still 1, untouched. */
	cr_assert_eq(img[18], 1);
	cr_assert_eq(img[19], 1);
	free(img);
}

Test(store, other_schema_version_is_refused)
{
	store_close(open_ok(g_db));
	sql(g_db, "PRAGMA user_version = 2;");
	expect_refused(g_db, RMC_EUNSUP, "schema version 2");
}

Test(store, unopenable_paths_are_refused)
{
	char p[PATH_MAX + 32];
	struct store *s = NULL;
	char err[STORE_ERR_LEN];

	expect_refused(g_dir, RMC_EIO, "is a directory");
	snprintf(p, sizeof(p), "%s/no/such/dir/store.db", g_dir);
	expect_refused(p, RMC_EIO, "cannot open");
	write_file(g_db, "x", 1);
	snprintf(p, sizeof(p), "%s/store.db/inside.db", g_dir); /* under a regular file */
	expect_refused(p, RMC_EIO, "cannot open");
	/* /proc takes no new files, even from root (these tests may run as root). */
	expect_refused("/proc/rmcpsec-store-test.db", RMC_EIO, "cannot open");
	cr_assert_eq(store_open("", &s, err, sizeof(err)), RMC_EINVAL);
	cr_assert_eq(store_open(NULL, &s, err, sizeof(err)), RMC_EINVAL);
	cr_assert_eq(store_open(g_db, NULL, err, sizeof(err)), RMC_EINVAL);
}

/*
 * nodes/store: the server's SQLite SA store. Every field round-trips for
 * both slots; promote, ack, drop, clear and reopen do what store.h says;
 * reservations only grow; damaged, foreign and unopenable files are
 * refused with a message; and a writer SIGKILLed at seeded random points
 * never loses what it reported committed (docs/internals/store.md).
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
spi_of_gen(uint32_t n)
{
	struct nvram_sa sa = make_sa(n);
	return store_sa_spi_out(&sa);
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

/* It holds keys: a new store and its -wal are the owner's only. */
Test(store, new_store_is_owner_only)
{
	struct store *s = open_ok(g_db);
	char wal[PATH_MAX + 8];
	struct stat sb;

	put(s, "nic-a", STORE_CUR, 1);
	cr_assert_eq(stat(g_db, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600, "mode %o", (unsigned)(sb.st_mode & 0777));
	snprintf(wal, sizeof(wal), "%s-wal", g_db);
	cr_assert_eq(stat(wal, &sb), 0, "no -wal: not in WAL mode?");
	cr_assert_eq(sb.st_mode & 0777, 0600, "-wal mode %o", (unsigned)(sb.st_mode & 0777));
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

/*
 * Two processes writing at once (a secondary that took over while the
 * hung primary still runs): every call waits out the other's lock
 * (busy_timeout) instead of failing, and the larger reservation wins.
 */
Test(store, two_processes_reserving_at_once_both_succeed)
{
	struct store *s = open_ok(g_db);
	pid_t pid;
	int status, failures = 0;

	put(s, "nic-a", STORE_CUR, 1);
	store_close(s);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char err[STORE_ERR_LEN];
		struct store *c = NULL;
		int bad = 0;
		if (store_open(g_db, &c, err, sizeof(err)) != RMC_OK)
			_exit(2);
		for (uint64_t v = 1; v <= 300; v++)
			bad += store_seq_reserve(c, "nic-a", spi_of_gen(1), 2 * v) != RMC_OK;
		store_close(c);
		_exit(bad ? 1 : 0);
	}
	s = open_ok(g_db);
	for (uint64_t v = 1; v <= 300; v++)
		failures += store_seq_reserve(s, "nic-a", spi_of_gen(1), 2 * v + 1) != RMC_OK;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	cr_assert_eq(failures, 0, "%d reservations failed: %s", failures, store_error(s));
	expect_sa(s, "nic-a", STORE_CUR, 1, false, 601);
	store_close(s);
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
	/* docs/internals/store.md: version, spi_in, spi_out big-endian, then suite, esn, lengths */
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
	/* SQLite itself takes "S" for an empty database: not whole pages. */
	write_file(g_db, "S", 1);
	expect_refused(g_db, RMC_EIO, "truncated");
	write_file(g_db, text, sizeof(text) - 1);
	expect_refused(g_db, RMC_EIO, "not a SQLite database");
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
	size_t cuts[] = {1, 15, 16, 99, 100, 101, 512, 4095, 4096, 4097, 8192, 0, 0, 0};
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

/* ---- a writer killed at random points ---- */

/*
 * The child is a server: it stores an SA, reserves ever larger blocks of
 * outbound sequence numbers, and every 8 blocks rekeys (put NEW, reserve
 * on it, SA_ACK, promote). After each call returns it writes what it
 * committed to the pipe; the parent SIGKILLs it at a seeded random point
 * and checks the reopened file against everything reported.
 */
enum crash_report {
	REP_PUT_CUR = 1,
	REP_PUT_NEW,
	REP_RESERVE,
	REP_ACK,
	REP_PROMOTE,
	REP_KILLED_IN_WRITE, /* the VFS below is about to kill the child; gen: which file */
};

struct report {
	uint32_t type;
	uint32_t gen; /* the SA is make_sa(gen) */
	uint64_t value;
};

enum {
	CRASH_ROUNDS = 60,
	TORN_SWEEP = 32,
	TORN_DB_WRITES = 12,
	WAL_HEADER = 32,	     /* sqlite.org/fileformat.html §4.1 */
	WAL_FRAME = 24 + 4096,	     /* frame header + one page */
	CRASH_GEN_MAX = 4096,	     /* gens a child can reach before the pipe holds it up */
	CRASH_MAX_BEFORE_KILL = 150, /* reports read before the kill */
};

static const char crash_client[] = "nic-crash";

struct child_ctx {
	struct store *s;
	const char *path;
	int rep_fd;
	int go_fd;	 /* lock-step: wait for one byte after each report; -1: run free */
	unsigned reopen; /* close and reopen the store every this many reports; 0: never */
	unsigned reported;
};

static void
child_report(struct child_ctx *c, uint32_t type, uint32_t gen, uint64_t value)
{
	struct report r = {type, gen, value};
	char go;

	if (write(c->rep_fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(4);
	if (c->go_fd >= 0 && read(c->go_fd, &go, 1) != 1)
		_exit(0);
	/* The last connection's close copies the -wal back into the database file. */
	if (c->reopen && ++c->reported % c->reopen == 0) {
		char err[STORE_ERR_LEN];
		store_close(c->s);
		if (store_open(c->path, &c->s, err, sizeof(err)) != RMC_OK)
			_exit(2);
	}
}

static void
child_call(int rc)
{
	if (rc != RMC_OK)
		_exit(3);
}

static uint32_t
spi_of(uint32_t gen)
{
	struct nvram_sa sa = make_sa(gen);
	return store_sa_spi_out(&sa);
}

static void
child_put(struct child_ctx *c, enum store_slot slot, uint32_t gen)
{
	struct nvram_sa sa = make_sa(gen);
	child_call(store_put_sa(c->s, crash_client, slot, &sa, txid_of(gen)));
	child_report(c, slot == STORE_CUR ? REP_PUT_CUR : REP_PUT_NEW, gen, 0);
}

static void
child_reserve(struct child_ctx *c, uint32_t gen, uint64_t v)
{
	child_call(store_seq_reserve(c->s, crash_client, spi_of(gen), v));
	child_report(c, REP_RESERVE, gen, v);
}

/*
 * A VFS over the default one that, in the child, kills the process in
 * the middle of its n-th xWrite: it writes a random prefix of the buffer
 * (a torn write, as a power cut leaves) and raises SIGKILL. Writes to
 * the -wal (commits) and to the database file (checkpoints) both count.
 */
struct shim_file {
	sqlite3_file base;
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	uint32_t kind;
};

enum { KIND_DB = 1, KIND_WAL, KIND_OTHER };

static sqlite3_vfs *g_real_vfs;
static sqlite3_vfs g_shim_vfs;
static uint64_t g_writes_left; /* 0: never */
static uint32_t g_kill_kind;   /* count only writes to this KIND_*, 0: every write */
static uint64_t g_torn_seed;
static int g_shim_report_fd = -1;

static sqlite3_file *
real_of(sqlite3_file *f)
{
	return ((struct shim_file *)f)->real;
}

static int
shim_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off)
{
	sqlite3_file *r = real_of(f);

	if (g_writes_left && (!g_kill_kind || g_kill_kind == ((struct shim_file *)f)->kind) &&
	    --g_writes_left == 0) {
		int part = n > 1 ? (int)(g_torn_seed % (uint64_t)n) : 0;
		struct report rep = {REP_KILLED_IN_WRITE, ((struct shim_file *)f)->kind,
				     (uint64_t)part};
		if (write(g_shim_report_fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(4);
		if (part)
			r->pMethods->xWrite(r, b, part, off);
		raise(SIGKILL);
	}
	return r->pMethods->xWrite(r, b, n, off);
}

static int
shim_close(sqlite3_file *f)
{
	return real_of(f)->pMethods->xClose(real_of(f));
}

static int
shim_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off)
{
	return real_of(f)->pMethods->xRead(real_of(f), b, n, off);
}

static int
shim_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return real_of(f)->pMethods->xTruncate(real_of(f), size);
}

static int
shim_sync(sqlite3_file *f, int flags)
{
	return real_of(f)->pMethods->xSync(real_of(f), flags);
}

static int
shim_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return real_of(f)->pMethods->xFileSize(real_of(f), size);
}

static int
shim_lock(sqlite3_file *f, int lock)
{
	return real_of(f)->pMethods->xLock(real_of(f), lock);
}

static int
shim_unlock(sqlite3_file *f, int lock)
{
	return real_of(f)->pMethods->xUnlock(real_of(f), lock);
}

static int
shim_check_reserved(sqlite3_file *f, int *out)
{
	return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}

static int
shim_file_control(sqlite3_file *f, int op, void *arg)
{
	return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}

static int
shim_sector_size(sqlite3_file *f)
{
	return real_of(f)->pMethods->xSectorSize(real_of(f));
}

static int
shim_device_characteristics(sqlite3_file *f)
{
	return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}

static int
shim_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **p)
{
	return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, p);
}

static int
shim_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}

static void
shim_shm_barrier(sqlite3_file *f)
{
	real_of(f)->pMethods->xShmBarrier(real_of(f));
}

static int
shim_shm_unmap(sqlite3_file *f, int del)
{
	return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}

static int
shim_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p)
{
	return real_of(f)->pMethods->xFetch(real_of(f), off, n, p);
}

static int
shim_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

static const sqlite3_io_methods shim_io = {
    3,
    shim_close,
    shim_read,
    shim_write,
    shim_truncate,
    shim_sync,
    shim_file_size,
    shim_lock,
    shim_unlock,
    shim_check_reserved,
    shim_file_control,
    shim_sector_size,
    shim_device_characteristics,
    shim_shm_map,
    shim_shm_lock,
    shim_shm_barrier,
    shim_shm_unmap,
    shim_fetch,
    shim_unfetch,
};

static int
shim_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	struct shim_file *sf = (struct shim_file *)f;
	int rc;

	(void)vfs;
	sf->real = (sqlite3_file *)(sf + 1);
	sf->kind = (flags & SQLITE_OPEN_MAIN_DB) ? KIND_DB
		   : (flags & SQLITE_OPEN_WAL)	 ? KIND_WAL
						 : KIND_OTHER;
	rc = g_real_vfs->xOpen(g_real_vfs, name, sf->real, flags, out_flags);
	sf->base.pMethods = (rc == SQLITE_OK && sf->real->pMethods) ? &shim_io : NULL;
	return rc;
}

/* In the child only: every later sqlite3_open uses it. */
static void
shim_install(uint32_t kind, uint64_t kill_at_write, uint64_t torn_seed, int report_fd)
{
	g_real_vfs = sqlite3_vfs_find(NULL);
	if (!g_real_vfs || g_real_vfs->iVersion < 1)
		_exit(6);
	g_shim_vfs = *g_real_vfs;
	g_shim_vfs.zName = "rmcpsec-kill-in-write";
	g_shim_vfs.szOsFile = (int)sizeof(struct shim_file) + g_real_vfs->szOsFile;
	g_shim_vfs.xOpen = shim_open;
	g_shim_vfs.pNext = NULL;
	g_writes_left = kill_at_write;
	g_kill_kind = kind;
	g_torn_seed = torn_seed;
	g_shim_report_fd = report_fd;
	if (sqlite3_vfs_register(&g_shim_vfs, 1) != SQLITE_OK)
		_exit(6);
}

static _Noreturn void
child_run(const char *path, int rep_fd, int go_fd, uint32_t kill_kind, uint64_t kill_at_write,
	  uint64_t torn_seed)
{
	/* Reopening makes database-file writes frequent; without it they wait for 1000 pages. */
	struct child_ctx c = {NULL, path, rep_fd, go_fd, kill_kind == KIND_DB ? 20 : 0, 0};
	char err[STORE_ERR_LEN];
	uint32_t gen = 1;
	uint64_t v = 0;

	if (kill_at_write)
		shim_install(kill_kind, kill_at_write, torn_seed, rep_fd);
	if (store_open(path, &c.s, err, sizeof(err)) != RMC_OK)
		_exit(2);
	child_put(&c, STORE_CUR, gen);
	for (uint64_t i = 0; gen < CRASH_GEN_MAX - 1; i++) {
		v += 1 + i % 7;
		child_reserve(&c, gen, v);
		if (i % 8 != 7)
			continue;
		child_put(&c, STORE_NEW, gen + 1);
		v += 3;
		child_reserve(&c, gen + 1, v);
		child_call(store_mark_acked(c.s, crash_client, txid_of(gen + 1)));
		child_report(&c, REP_ACK, gen + 1, 0);
		child_call(store_promote(c.s, crash_client));
		gen++;
		child_report(&c, REP_PROMOTE, gen, 0);
	}
	_exit(5);
}

/* What the child reported committed, folded as the parent reads it. */
struct seen {
	size_t reports;
	uint32_t cur;	     /* gen of the last PUT_CUR / PROMOTE */
	uint32_t new_gen;    /* gen of the last PUT_NEW, 0 once promoted */
	uint32_t acked;	     /* gen of the last ACK */
	uint64_t max_v;	     /* largest reservation reported */
	uint64_t *res_max;   /* per gen */
	uint32_t killed_in;  /* KIND_* of the file the VFS tore a write of, 0: none */
	uint64_t torn_bytes; /* how much of that write it let through */
};

static void
seen_add(struct seen *w, const struct report *r)
{
	cr_assert_lt(r->gen, CRASH_GEN_MAX, "report for gen %u", r->gen);
	w->reports++;
	switch (r->type) {
	case REP_PUT_CUR:
		w->cur = r->gen;
		break;
	case REP_PUT_NEW:
		w->new_gen = r->gen;
		break;
	case REP_RESERVE:
		if (r->value > w->res_max[r->gen])
			w->res_max[r->gen] = r->value;
		if (r->value > w->max_v)
			w->max_v = r->value;
		break;
	case REP_ACK:
		w->acked = r->gen;
		break;
	case REP_PROMOTE:
		w->cur = r->gen;
		w->new_gen = 0;
		break;
	case REP_KILLED_IN_WRITE:
		w->reports--; /* not a committed call */
		w->killed_in = r->gen;
		w->torn_bytes = r->value;
		break;
	default:
		cr_assert_fail("report type %u", r->type);
	}
}

static bool
read_report(int fd, struct report *r)
{
	size_t got = 0;

	while (got < sizeof(*r)) {
		ssize_t n = read(fd, (char *)r + got, sizeof(*r) - got);
		if (n == 0)
			return false;
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert_gt(n, 0, "read: %s", strerror(errno));
		got += (size_t)n;
	}
	return true;
}

static void
check_integrity_raw(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK,
		     "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sqlite3_errmsg(db));
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A row must be one whole make_sa(gen), with that gen's txid. */
static uint32_t
whole_row_gen(const struct store_sa *got, const char *slot)
{
	uint32_t gen = got->sa.spi_in - 0x10000;
	struct nvram_sa want;

	cr_assert(gen > 0 && gen < CRASH_GEN_MAX, "%s: spi_in %#x", slot, got->sa.spi_in);
	want = make_sa(gen);
	cr_assert(sa_eq(&got->sa, &want), "%s: SA of gen %u is not whole", slot, gen);
	cr_assert_eq(got->txid, txid_of(gen), "%s: txid %#x for gen %u", slot, got->txid, gen);
	return gen;
}

/*
 * Nothing reported committed is lost; nothing beyond the one call in
 * flight appeared. Returns whether that call had committed.
 */
static bool
check_after_kill(const char *path, const struct seen *w)
{
	bool ahead;
	struct store *s;
	struct store_sa cur, nw;
	uint32_t gc, gn;
	int rc;

	/* store_open first: it must cope with whatever the kill left, hot journal included. */
	s = open_ok(path);
	check_integrity_raw(path);
	if (w->cur == 0 && store_get_sa(s, crash_client, STORE_CUR, &cur) == RMC_ENOENT) {
		/* killed before the first put committed (maybe inside store_open) */
		cr_assert_eq(count(s), 0);
		store_close(s);
		return false;
	}
	cr_assert_eq(count(s), 1);
	cur = get(s, crash_client, STORE_CUR);
	gc = whole_row_gen(&cur, "CUR");
	/* Promote follows the reported ACK: only then may CUR be one gen ahead. */
	cr_assert(gc == w->cur || (gc == w->cur + 1 && w->acked == gc),
		  "CUR is gen %u; reported: cur %u, acked %u", gc, w->cur, w->acked);
	cr_assert_geq(cur.seq_reserved, w->res_max[gc],
		      "CUR gen %u reservation %llu < reported %llu", gc,
		      (unsigned long long)cur.seq_reserved, (unsigned long long)w->res_max[gc]);
	cr_assert_leq(cur.seq_reserved, w->max_v + 10, "reservation %llu beyond any call",
		      (unsigned long long)cur.seq_reserved);
	cr_assert_eq(cur.acked, gc > 1, "CUR gen %u acked %d", gc, cur.acked);
	ahead = gc != w->cur || cur.seq_reserved > w->res_max[gc];
	rc = store_get_sa(s, crash_client, STORE_NEW, &nw);
	if (rc == RMC_ENOENT) {
		cr_assert(w->new_gen == 0 || w->new_gen <= gc, "reported NEW gen %u lost (CUR %u)",
			  w->new_gen, gc);
	} else {
		cr_assert_eq(rc, RMC_OK, "%s", store_error(s));
		gn = whole_row_gen(&nw, "NEW");
		cr_assert_eq(gn, gc + 1, "NEW gen %u with CUR gen %u", gn, gc);
		cr_assert_geq(nw.seq_reserved, w->res_max[gn]);
		cr_assert_leq(nw.seq_reserved, w->max_v + 10);
		if (w->acked == gn)
			cr_assert(nw.acked, "reported ACK of gen %u lost", gn);
		ahead = ahead || gn != w->new_gen || nw.seq_reserved > w->res_max[gn] ||
			(nw.acked && w->acked != gn);
	}
	store_close(s);
	return ahead;
}

static void
busy_spin(uint64_t n)
{
	for (volatile uint64_t i = 0; i < n; i++)
		;
}

/* How the kills landed: diagnostics for docs/internals/store.md, not assertions. */
struct crash_stats {
	unsigned torn_wal;	   /* the -wal ended inside a frame: killed mid-append */
	unsigned in_flight_landed; /* the unreported call in flight had committed */
};

static bool
wal_is_torn(const char *path)
{
	char wal[PATH_MAX + 40];
	struct stat sb;

	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) != 0 || sb.st_size <= WAL_HEADER)
		return false;
	return (sb.st_size - WAL_HEADER) % WAL_FRAME != 0;
}

/*
 * Modes: 0 lock-step, killed the moment it is let go after report k
 * (right after a commit was reported); 1 free-running, killed as soon
 * as report k is read (the child is inside its next call); 2 the same
 * plus a random spin, so the kill lands anywhere in a call.
 */
static void
crash_round(unsigned round, uint64_t *rng, struct crash_stats *st)
{
	struct seen w;
	struct report r;
	int rep[2], go[2];
	unsigned mode = round % 3;
	size_t k = 1 + xorshift64(rng) % CRASH_MAX_BEFORE_KILL;
	uint64_t spin = mode == 2 ? xorshift64(rng) % 200000 : 0;
	char path[PATH_MAX + 32];
	pid_t pid;
	int status;

	memset(&w, 0, sizeof(w));
	w.res_max = calloc(CRASH_GEN_MAX, sizeof(*w.res_max));
	cr_assert_not_null(w.res_max);
	snprintf(path, sizeof(path), "%s/crash-%u.db", g_dir, round);
	cr_assert_eq(pipe(rep), 0);
	cr_assert_eq(pipe(go), 0);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(rep[0]);
		close(go[1]);
		child_run(path, rep[1], mode == 0 ? go[0] : -1, 0, 0, 0);
	}
	close(rep[1]);
	close(go[0]);
	while (w.reports < k) {
		cr_assert(read_report(rep[0], &r), "round %u: child died after %zu reports", round,
			  w.reports);
		seen_add(&w, &r);
		if (mode == 0)
			cr_assert_eq(write(go[1], "g", 1), 1);
	}
	busy_spin(spin);
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "round %u: child ended on its own, status %#x", round, status);
	k = w.reports;
	while (read_report(rep[0], &r)) /* committed and reported before the kill */
		seen_add(&w, &r);
	close(rep[0]);
	close(go[1]);
	st->torn_wal += wal_is_torn(path);
	st->in_flight_landed += check_after_kill(path, &w);
	cr_log_info("round %u mode %u: %zu reports (%zu read before the kill), CUR gen %u,"
		    " reserved %llu",
		    round, mode, w.reports, k, w.cur, (unsigned long long)w.res_max[w.cur]);
	free(w.res_max);
}

Test(store, killed_writer_loses_nothing_it_reported, .timeout = 300)
{
	uint64_t rng = 0x5702e5eedull;
	struct crash_stats st = {0, 0};

	for (unsigned round = 0; round < CRASH_ROUNDS; round++)
		crash_round(round, &rng, &st);
	cr_log_info("%d rounds: %u killed inside a WAL append, %u with the call in flight"
		    " committed but unreported",
		    CRASH_ROUNDS, st.torn_wal, st.in_flight_landed);
}

/*
 * The child kills itself inside its n-th write (the VFS above), counting
 * only writes to files of `kind` (0: every file); the parent only listens.
 */
static void
torn_round(unsigned round, uint32_t kind, uint64_t n, uint64_t torn, unsigned kills[4],
	   unsigned *landed)
{
	struct seen w;
	struct report r;
	int rep[2];
	char path[PATH_MAX + 32];
	pid_t pid;
	int status;

	memset(&w, 0, sizeof(w));
	w.res_max = calloc(CRASH_GEN_MAX, sizeof(*w.res_max));
	cr_assert_not_null(w.res_max);
	snprintf(path, sizeof(path), "%s/torn-%u.db", g_dir, round);
	cr_assert_eq(pipe(rep), 0);
	pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(rep[0]);
		child_run(path, rep[1], -1, kind, n, torn);
	}
	close(rep[1]);
	while (read_report(rep[0], &r))
		seen_add(&w, &r);
	close(rep[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "round %u: child ended with status %#x, not killed in write %llu", round, status,
		  (unsigned long long)n);
	cr_assert_neq(w.killed_in, 0, "round %u: killed without saying where", round);
	kills[w.killed_in]++;
	*landed += check_after_kill(path, &w);
	cr_log_info("round %u: killed in write %llu%s (file kind %u, %llu bytes of it written),"
		    " %zu reports, CUR gen %u",
		    round, (unsigned long long)n, kind ? " to the database" : "", w.killed_in,
		    (unsigned long long)w.torn_bytes, w.reports, w.cur);
	free(w.res_max);
}

/*
 * Nearly every write goes to the -wal: a frame header and a page per
 * commit, so one rekey cycle of the child (12 commits) is about 24
 * writes. TORN_SWEEP consecutive write positions from a seeded random
 * start cover every position of a cycle, so every kind of call is torn
 * at least once. The database file is written when store_open turns a
 * new file to WAL (its write 1) and by checkpoints, which copy the -wal
 * back: SQLite runs one when a commit fills the -wal to 1000 pages, and
 * when the last connection closes. The DB rounds' child closes and
 * reopens every 20 reports (as a secondary taking over would open it) so
 * that checkpoints come often; each of its first TORN_DB_WRITES database
 * writes is torn once, at a random byte.
 */
Test(store, torn_write_at_every_step_loses_nothing, .timeout = 300)
{
	uint64_t rng = 0x7042e5eedull;
	uint64_t base = 20 + xorshift64(&rng) % 150;
	unsigned kills[4] = {0, 0, 0, 0}, landed = 0, round = 0;

	for (unsigned j = 0; j < TORN_SWEEP; j++)
		torn_round(round++, 0, base + j, xorshift64(&rng), kills, &landed);
	for (unsigned n = 1; n <= TORN_DB_WRITES; n++)
		torn_round(round++, KIND_DB, n, xorshift64(&rng), kills, &landed);
	/*
	 * The first page of a new file torn inside SQLite's 100-byte header,
	 * with the rollback journal of the switch to WAL beside it: SQLite
	 * rolls it back to an empty file, so store_open must not refuse it
	 * as a truncated store.
	 */
	torn_round(round++, KIND_DB, 1, 1 + xorshift64(&rng) % 99, kills, &landed);
	cr_log_info("%u rounds: torn writes to the database file %u, to the -wal %u, other %u;"
		    " %u with the call in flight committed",
		    round, kills[KIND_DB], kills[KIND_WAL], kills[KIND_OTHER], landed);
	/* Both files were hit, or the test did not test what it says. */
	cr_assert_geq(kills[KIND_WAL], TORN_SWEEP - 2);
	cr_assert_eq(kills[KIND_DB], TORN_DB_WRITES + 1);
}

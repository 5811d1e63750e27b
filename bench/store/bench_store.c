/*
 * Reservations per second of nodes/store (synchronous=FULL: one fsync of
 * the -wal per call) on one client's SA, and beside it the same loop with
 * store_get_sa (a read, no write) as the reference for what is not the
 * disk. Usage: bench_store [PATH [N]]; PATH's directory decides the
 * filesystem measured (default /tmp/rmcpsec-bench-store.db, removed after).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nodes/store.h"
#include "proto/err.h"

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
remove_store(const char *path)
{
	char p[4096];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/tmp/rmcpsec-bench-store.db";
	long n = argc > 2 ? atol(argv[2]) : 2000;
	struct store *s = NULL;
	struct store_sa out;
	struct nvram_sa sa;
	char err[STORE_ERR_LEN];
	double t0, t_res, t_get;
	int rc = 1;

	remove_store(path);
	if (store_open(path, &s, err, sizeof(err)) != RMC_OK) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.spi_in = 0x1234;
	sa.spi_out = 0x5678;
	if (store_put_sa(s, "nic-bench", STORE_CUR, &sa, 1) != RMC_OK)
		goto out;
	t0 = now_s();
	for (long i = 1; i <= n; i++)
		if (store_seq_reserve(s, "nic-bench", store_sa_spi_out(&sa), (uint64_t)i * 1024))
			goto out;
	t_res = now_s() - t0;
	t0 = now_s();
	for (long i = 1; i <= n; i++)
		if (store_get_sa(s, "nic-bench", STORE_CUR, &out))
			goto out;
	t_get = now_s() - t0;
	printf("%s: %ld reservations in %.3f s: %.0f/s (%.1f us each)\n", path, n, t_res, n / t_res,
	       1e6 * t_res / n);
	printf("%s: %ld reads in %.3f s: %.0f/s (%.1f us each)\n", path, n, t_get, n / t_get,
	       1e6 * t_get / n);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "failed: %s\n", store_error(s));
	store_close(s);
	remove_store(path);
	return rc;
}

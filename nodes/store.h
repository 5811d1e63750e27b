/*
 * The management server's persistent security context: per client, two SA
 * slots (CUR in use, NEW being committed) and the outbound sequence-number
 * reservation of each, in one SQLite file that a primary and a secondary
 * server share. docs/internals/store.md has the schema, the durability
 * argument and what the tests show; in short:
 *
 *   - WAL journal, synchronous=FULL: a call that returned 0 has reached
 *     the disk, and a process killed at any instruction leaves the file
 *     at the last committed call (SQLite's atomic commit, checked by
 *     killing a writer in nodes/tests/test_store.c);
 *   - every write is one transaction, so a successor sees either all or
 *     nothing of it;
 *   - reservation, in the spirit of RFC 6311 §3 (sender counters after a
 *     failover): a server records "I may send up to N" before sending,
 *     the stored value only grows, and a successor starts at N + 1.
 *
 * The SA is the NIC-oriented struct nvram_sa the commit handshake carries;
 * the server's outbound direction is the NIC's inbound one, so the SPI a
 * reservation is keyed by is sa.spi_in (store_sa_spi_out()).
 *
 * Errors: RMC_EINVAL for a bad argument, RMC_ENOENT for "no such SA",
 * RMC_EIO when SQLite failed (store_error() says why).
 */
#ifndef RMCPSEC_NODES_STORE_H
#define RMCPSEC_NODES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodes/nvram.h"

enum store_limits {
	STORE_SCHEMA_VERSION = 1,	   /* PRAGMA user_version of the file */
	STORE_APPLICATION_ID = 0x524d4353, /* "RMCS": PRAGMA application_id */
	STORE_CLIENT_MAX = 64,		   /* bytes of a client name, without the NUL */
	STORE_BUSY_TIMEOUT_MS = 5000,	   /* wait this long for the other server's write */
	STORE_ERR_LEN = 256,
};

enum store_slot {
	STORE_CUR = 0, /* the SA in use */
	STORE_NEW = 1, /* the SA being committed (staged, maybe acknowledged) */
};

struct store_sa {
	struct nvram_sa sa;
	uint32_t txid;	       /* commit transaction that made this SA */
	bool acked;	       /* the server sent SA_ACK: a successor must never fall back */
	uint64_t seq_reserved; /* outbound numbers up to this one may have been sent */
};

struct store; /* opaque; one connection, use from one thread */

/*
 * Opens or creates the store at path (created mode 0600: it holds keys).
 * A new or zero-length file gets the schema; an existing one must carry
 * our application_id and schema version, be whole pages and pass PRAGMA
 * quick_check. Errors, described in err (which names path): RMC_EIO
 * (cannot open or write, a directory, not a SQLite file, corrupt or
 * truncated), RMC_EINVAL (a SQLite file that is not a store; left
 * untouched), RMC_EUNSUP (a store of another schema version).
 */
int store_open(const char *path, struct store **out, char *err, size_t errlen);
void store_close(struct store *s); /* NULL-safe */
const char *store_error(const struct store *s);

/* The SPI the server sends with under this SA (the NIC's inbound one). */
uint32_t store_sa_spi_out(const struct nvram_sa *sa);

/*
 * Replaces the client's SA in slot, not acknowledged. Its reservation is
 * the one already recorded for its outbound SPI by this client (a
 * re-stored SA keeps it), else 0.
 */
int store_put_sa(struct store *s, const char *client, enum store_slot slot,
		 const struct nvram_sa *sa, uint32_t txid);
int store_get_sa(struct store *s, const char *client, enum store_slot slot,
		 struct store_sa *out); /* RMC_ENOENT: none */
/* The client's SA of transaction txid (either slot) is acknowledged. */
int store_mark_acked(struct store *s, const char *client, uint32_t txid);
/* NEW replaces CUR, keeping NEW's acked flag and reservation; RMC_ENOENT: no NEW. */
int store_promote(struct store *s, const char *client);
int store_drop(struct store *s, const char *client, enum store_slot slot); /* RMC_ENOENT */

/*
 * Records that outbound sequence numbers up to upto may be sent under the
 * client's SA whose outbound SPI is spi_out; the stored value becomes
 * max(stored, upto), so a smaller upto is a no-op. RMC_ENOENT: no such
 * SA; RMC_EINVAL: upto above INT64_MAX (SQLite integers are signed;
 * RFC 4303 §3.3.3 has the SA rekeyed long before).
 */
int store_seq_reserve(struct store *s, const char *client, uint32_t spi_out, uint64_t upto);

int store_clear(struct store *s);	     /* server cold boot: every SA gone */
int store_count(struct store *s, size_t *n); /* clients with at least one SA */
int store_integrity_check(struct store *s);  /* PRAGMA integrity_check; RMC_EIO if not "ok" */

#endif

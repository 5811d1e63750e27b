/*
 * The server's SA store over SQLite. Schema, pragmas and the reasons for
 * them are in docs/internals/store.md. Every write is one SQL statement run in
 * autocommit mode, so it is one transaction; statements are prepared
 * once in store_open (store_seq_reserve runs for every block of outbound
 * sequence numbers).
 */
#include "nodes/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nodes/store_blob.h"
#include "proto/err.h"

enum store_stmt {
	ST_PUT,
	ST_GET,
	ST_ACK,
	ST_PROMOTE,
	ST_DROP,
	ST_RESERVE,
	ST_HAS_SPI,
	ST_CLEAR,
	ST_COUNT,
	ST__COUNT
};

/*
 * spi_out is the server's outbound SPI (the blob's spi_in), kept as a
 * column so a reservation finds its row; the blob stays the one source
 * of the SA itself, and store_get_sa checks the two agree.
 */
static const char schema_sql[] =
    "CREATE TABLE sa ("
    " client TEXT NOT NULL CHECK (length(client) BETWEEN 1 AND 64),"
    " slot INTEGER NOT NULL CHECK (slot IN (0, 1)),"
    " spi_out INTEGER NOT NULL CHECK (spi_out BETWEEN 0 AND 4294967295),"
    " txid INTEGER NOT NULL CHECK (txid BETWEEN 0 AND 4294967295),"
    " acked INTEGER NOT NULL CHECK (acked IN (0, 1)),"
    " seq_reserved INTEGER NOT NULL CHECK (seq_reserved >= 0),"
    " sa BLOB NOT NULL,"
    " PRIMARY KEY (client, slot)"
    ") WITHOUT ROWID;"
    "PRAGMA application_id = 1380795219;" /* STORE_APPLICATION_ID */
    "PRAGMA user_version = 1;";		  /* STORE_SCHEMA_VERSION */

static const char *const stmt_sql[ST__COUNT] = {
    /* A re-stored outbound SPI keeps its reservation: the subquery runs before the replace. */
    [ST_PUT] =
	"INSERT OR REPLACE INTO sa (client, slot, spi_out, txid, acked, seq_reserved, sa)"
	" VALUES (?1, ?2, ?3, ?4, 0,"
	" COALESCE((SELECT max(seq_reserved) FROM sa WHERE client = ?1 AND spi_out = ?3), 0),"
	" ?5)",
    [ST_GET] =
	"SELECT txid, acked, seq_reserved, sa, spi_out FROM sa WHERE client = ?1 AND slot = ?2",
    [ST_ACK] = "UPDATE sa SET acked = 1 WHERE client = ?1 AND txid = ?2",
    /* OR REPLACE deletes the CUR row the new key collides with, in the same statement. */
    [ST_PROMOTE] = "UPDATE OR REPLACE sa SET slot = 0 WHERE client = ?1 AND slot = 1",
    [ST_DROP] = "DELETE FROM sa WHERE client = ?1 AND slot = ?2",
    /* Only growing writes: a smaller upto changes no row and writes no page. */
    [ST_RESERVE] = "UPDATE sa SET seq_reserved = ?3"
		   " WHERE client = ?1 AND spi_out = ?2 AND seq_reserved < ?3",
    [ST_HAS_SPI] = "SELECT 1 FROM sa WHERE client = ?1 AND spi_out = ?2",
    [ST_CLEAR] = "DELETE FROM sa",
    [ST_COUNT] = "SELECT count(DISTINCT client) FROM sa",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *st[ST__COUNT];
	char err[STORE_ERR_LEN];
};

static void
fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Records SQLite's reason for the failed call `what`; always RMC_EIO. */
static int
db_fail(struct store *s, const char *what)
{
	fmt_err(s->err, sizeof(s->err), "%s: %s (sqlite %d)", what, sqlite3_errmsg(s->db),
		sqlite3_extended_errcode(s->db));
	return RMC_EIO;
}

static void
stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static bool
client_ok(const char *client)
{
	size_t n;

	if (!client)
		return false;
	n = strnlen(client, STORE_CLIENT_MAX + 1);
	return n >= 1 && n <= STORE_CLIENT_MAX;
}

static int
bind_client(sqlite3_stmt *st, const char *client)
{
	return sqlite3_bind_text(st, 1, client, (int)strlen(client), SQLITE_STATIC);
}

/* One statement that returns no row; changes, if wanted, gets the row count. */
static int
run_write(struct store *s, sqlite3_stmt *st, const char *what, int *changes)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		rc = db_fail(s, what);
		stmt_done(st);
		return rc;
	}
	if (changes)
		*changes = sqlite3_changes(s->db);
	stmt_done(st);
	return RMC_OK;
}

/* ---- opening ---- */

/* path + suffix (SQLite's "-wal") exists and is not empty; unsure counts as yes. */
static bool
sidecar_nonempty(const char *path, const char *suffix)
{
	char p[PATH_MAX];
	struct stat sb;

	if (snprintf(p, sizeof(p), "%s%s", path, suffix) >= (int)sizeof(p))
		return true;
	return stat(p, &sb) == 0 && sb.st_size > 0;
}

/* What an opened file holds, read before anything is written to it. */
struct file_kind {
	int64_t app_id;
	int64_t version;
	int64_t objects; /* rows of sqlite_schema */
};

static int
query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*v = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int
read_kind(sqlite3 *db, struct file_kind *k)
{
	int rc = query_int(db, "PRAGMA application_id", &k->app_id);

	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &k->version);
	if (rc == SQLITE_OK)
		rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &k->objects);
	return rc;
}

static bool
kind_is_empty(const struct file_kind *k)
{
	return k->app_id == 0 && k->version == 0 && k->objects == 0;
}

/* RMC_OK for our schema; otherwise why not, in err. */
static int
check_kind(const char *path, const struct file_kind *k, char *err, size_t errlen)
{
	if (k->app_id != STORE_APPLICATION_ID) {
		fmt_err(err, errlen,
			"%s: a SQLite database but not an rmcpsec store"
			" (application_id 0x%08" PRIx64 ", %" PRId64 " schema objects)",
			path, (uint64_t)k->app_id, k->objects);
		return RMC_EINVAL;
	}
	if (k->version != STORE_SCHEMA_VERSION) {
		fmt_err(err, errlen, "%s: store schema version %" PRId64 ", this build reads %d",
			path, k->version, STORE_SCHEMA_VERSION);
		return RMC_EUNSUP;
	}
	return RMC_OK;
}

static int
sqlite_err(sqlite3 *db, const char *path, const char *what, char *err, size_t errlen)
{
	int code = sqlite3_extended_errcode(db);
	int primary = code & 0xff;

	if (primary == SQLITE_NOTADB)
		fmt_err(err, errlen, "%s: not a SQLite database (%s)", path, sqlite3_errmsg(db));
	else if (primary == SQLITE_CORRUPT)
		fmt_err(err, errlen, "%s: corrupt or truncated SQLite database (%s, while %s)",
			path, sqlite3_errmsg(db), what);
	else
		fmt_err(err, errlen, "%s: %s: %s (sqlite %d)", path, what, sqlite3_errmsg(db),
			code);
	return RMC_EIO;
}

static int
exec(sqlite3 *db, const char *path, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_err(db, path, sql, err, errlen);
	return RMC_OK;
}

/* integrity_check answers in lines; an error message is one. */
static void
one_line(char *err)
{
	for (char *p = err; p && *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* One-row text pragma whose answer must be `want` (case-insensitive). */
static int
pragma_expect(sqlite3 *db, const char *path, const char *sql, const char *want, char *err,
	      size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *got;
	int rc = RMC_OK;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = sqlite_err(db, path, sql, err, errlen);
		goto out;
	}
	got = sqlite3_column_text(st, 0);
	if (!got || sqlite3_stricmp((const char *)got, want) != 0) {
		fmt_err(err, errlen, "%s: %s answered \"%s\", wanted \"%s\"", path, sql,
			got ? (const char *)got : "(null)", want);
		one_line(err);
		rc = RMC_EIO;
	}
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * Creates the schema in a new file, or accepts ours. Runs under BEGIN
 * IMMEDIATE so two servers opening one new file at once create it once.
 */
static int
adopt_schema(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	struct file_kind k = {0};
	int rc = exec(db, path, "BEGIN IMMEDIATE", err, errlen);

	if (rc)
		return rc;
	if (read_kind(db, &k) != SQLITE_OK) {
		rc = sqlite_err(db, path, "reading the schema", err, errlen);
		goto out;
	}
	if (kind_is_empty(&k))
		rc = exec(db, path, schema_sql, err, errlen);
	else
		rc = check_kind(path, &k, err, errlen);
	if (rc == RMC_OK)
		rc = exec(db, path, "COMMIT", err, errlen);
out:
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/*
 * Reads what the file is before changing anything in it: converting a
 * foreign database to WAL would be a write to someone else's file.
 */
static int
classify(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	struct file_kind k = {0};

	if (read_kind(db, &k) != SQLITE_OK)
		return sqlite_err(db, path, "reading the schema", err, errlen);
	if (kind_is_empty(&k))
		return RMC_OK;
	return check_kind(path, &k, err, errlen);
}

/*
 * WAL: readers never block the writer, and a commit is one append to
 * the -wal file, whose frame checksums make a torn append invisible.
 * synchronous=FULL: the WAL is fsync'd at every commit. With NORMAL a
 * commit survives a killed process but not a power cut or kernel crash,
 * and the reservation lost that way is a reused (SPI, sequence) pair.
 * secure_delete: key material of a replaced SA is overwritten in the
 * database file rather than left in free pages.
 */
static int
configure(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	int rc = pragma_expect(db, path, "PRAGMA journal_mode = WAL", "wal", err, errlen);

	if (rc == RMC_OK)
		rc = exec(db, path, "PRAGMA synchronous = FULL", err, errlen);
	if (rc == RMC_OK)
		rc = exec(db, path, "PRAGMA secure_delete = ON", err, errlen);
	return rc;
}

static int
open_db(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	struct stat sb;
	int rc;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fmt_err(err, errlen, "%s: is a directory, not a store file", path);
		return RMC_EIO;
	}
	/*
	 * The file holds keys: create it owner-only. SQLite gives the -wal
	 * and -shm files the database file's mode, and would create it 0644.
	 */
	if (stat(path, &sb) != 0 && errno == ENOENT) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		fmt_err(err, errlen, "%s: cannot open: %s (%s)", path,
			*db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc),
			strerror(*db ? sqlite3_system_errno(*db) : ENOMEM));
		return RMC_EIO;
	}
	/* SQLite falls back to read-only when it may not write; a store must. */
	if (sqlite3_db_readonly(*db, "main") == 1) {
		fmt_err(err, errlen, "%s: not writable (opened read-only)", path);
		return RMC_EIO;
	}
	sqlite3_extended_result_codes(*db, 1);
	sqlite3_busy_timeout(*db, STORE_BUSY_TIMEOUT_MS);
	return RMC_OK;
}

/*
 * A database file is whole pages; a cut inside the last page passes
 * SQLite's own size check (it rounds up and reads the missing tail as
 * zeros) and PRAGMA quick_check (which does not decode every record),
 * and SQLite reads a file cut to 1 byte as an empty database, which the
 * schema would be written over. With a -wal file the pages may
 * legitimately come from the log, and recovery rewrites them, so only a
 * file without one is judged. Runs after classify(), whose first read
 * rolled back any hot journal (a new file whose first page was being
 * written when its process died is empty again by then).
 */
static int
check_whole_pages(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int64_t page = 0;

	if (sidecar_nonempty(path, "-wal"))
		return RMC_OK;
	if (query_int(db, "PRAGMA page_size", &page) != SQLITE_OK)
		return sqlite_err(db, path, "reading the page size", err, errlen);
	if (stat(path, &sb) != 0 || page <= 0 || sb.st_size % page == 0)
		return RMC_OK;
	fmt_err(err, errlen, "%s: truncated: %lld bytes is not a whole number of %lld-byte pages",
		path, (long long)sb.st_size, (long long)page);
	return RMC_EIO;
}

static int
prepare_all(struct store *s, const char *path, char *err, size_t errlen)
{
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
				       NULL) != SQLITE_OK)
			return sqlite_err(s->db, path, "preparing statements", err, errlen);
	}
	return RMC_OK;
}

int
store_open(const char *path, struct store **out, char *err, size_t errlen)
{
	struct store *s = NULL;
	int rc;

	fmt_err(err, errlen, "%s", "");
	if (!out)
		return RMC_EINVAL;
	*out = NULL;
	if (!path || !*path) {
		fmt_err(err, errlen, "store path is empty");
		return RMC_EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		fmt_err(err, errlen, "%s: out of memory", path);
		return RMC_ENOMEM;
	}
	rc = open_db(path, &s->db, err, errlen);
	if (rc == RMC_OK)
		rc = classify(s->db, path, err, errlen);
	if (rc == RMC_OK)
		rc = check_whole_pages(s->db, path, err, errlen);
	if (rc == RMC_OK)
		rc = configure(s->db, path, err, errlen);
	if (rc == RMC_OK)
		rc = adopt_schema(s->db, path, err, errlen);
	/* A truncated or damaged file can open cleanly and fail on first use; find out now. */
	if (rc == RMC_OK)
		rc = pragma_expect(s->db, path, "PRAGMA quick_check", "ok", err, errlen);
	if (rc == RMC_OK)
		rc = prepare_all(s, path, err, errlen);
	if (rc) {
		store_close(s);
		return rc;
	}
	*out = s;
	return RMC_OK;
}

void
store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

const char *
store_error(const struct store *s)
{
	return s ? s->err : "no store";
}

uint32_t
store_sa_spi_out(const struct nvram_sa *sa)
{
	return sa->spi_in;
}

/* ---- SAs ---- */

static bool
slot_ok(enum store_slot slot)
{
	return slot == STORE_CUR || slot == STORE_NEW;
}

int
store_put_sa(struct store *s, const char *client, enum store_slot slot, const struct nvram_sa *sa,
	     uint32_t txid)
{
	uint8_t blob[STORE_BLOB_LEN];
	sqlite3_stmt *st;
	int rc;

	if (!s || !client_ok(client) || !slot_ok(slot) || !sa)
		return RMC_EINVAL;
	st = s->st[ST_PUT];
	store_blob_encode(sa, blob);
	bind_client(st, client);
	sqlite3_bind_int(st, 2, (int)slot);
	sqlite3_bind_int64(st, 3, store_sa_spi_out(sa));
	sqlite3_bind_int64(st, 4, txid);
	sqlite3_bind_blob(st, 5, blob, sizeof(blob), SQLITE_STATIC);
	rc = run_write(s, st, "store_put_sa", NULL);
	explicit_bzero(blob, sizeof(blob));
	return rc;
}

static int
row_to_sa(struct store *s, sqlite3_stmt *st, struct store_sa *out)
{
	const void *blob = sqlite3_column_blob(st, 3);
	int len = sqlite3_column_bytes(st, 3);
	int64_t reserved = sqlite3_column_int64(st, 2);
	int rc;

	rc = store_blob_decode(blob, blob ? (size_t)len : 0, &out->sa);
	if (rc) {
		fmt_err(s->err, sizeof(s->err), "stored SA blob does not decode: %s (%d bytes)",
			rmc_strerror(rc), len);
		return RMC_EIO;
	}
	if (store_sa_spi_out(&out->sa) != (uint32_t)sqlite3_column_int64(st, 4) || reserved < 0) {
		fmt_err(s->err, sizeof(s->err), "stored SA row disagrees with its blob");
		return RMC_EIO;
	}
	out->txid = (uint32_t)sqlite3_column_int64(st, 0);
	out->acked = sqlite3_column_int(st, 1) != 0;
	out->seq_reserved = (uint64_t)reserved;
	return RMC_OK;
}

int
store_get_sa(struct store *s, const char *client, enum store_slot slot, struct store_sa *out)
{
	sqlite3_stmt *st;
	int rc;

	if (!s || !client_ok(client) || !slot_ok(slot) || !out)
		return RMC_EINVAL;
	st = s->st[ST_GET];
	bind_client(st, client);
	sqlite3_bind_int(st, 2, (int)slot);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row_to_sa(s, st, out);
	else if (rc == SQLITE_DONE)
		rc = RMC_ENOENT;
	else
		rc = db_fail(s, "store_get_sa");
	stmt_done(st);
	return rc;
}

int
store_mark_acked(struct store *s, const char *client, uint32_t txid)
{
	sqlite3_stmt *st;
	int changes = 0, rc;

	if (!s || !client_ok(client))
		return RMC_EINVAL;
	st = s->st[ST_ACK];
	bind_client(st, client);
	sqlite3_bind_int64(st, 2, txid);
	rc = run_write(s, st, "store_mark_acked", &changes);
	return rc ? rc : changes ? RMC_OK : RMC_ENOENT;
}

int
store_promote(struct store *s, const char *client)
{
	sqlite3_stmt *st;
	int changes = 0, rc;

	if (!s || !client_ok(client))
		return RMC_EINVAL;
	st = s->st[ST_PROMOTE];
	bind_client(st, client);
	rc = run_write(s, st, "store_promote", &changes);
	return rc ? rc : changes ? RMC_OK : RMC_ENOENT;
}

int
store_drop(struct store *s, const char *client, enum store_slot slot)
{
	sqlite3_stmt *st;
	int changes = 0, rc;

	if (!s || !client_ok(client) || !slot_ok(slot))
		return RMC_EINVAL;
	st = s->st[ST_DROP];
	bind_client(st, client);
	sqlite3_bind_int(st, 2, (int)slot);
	rc = run_write(s, st, "store_drop", &changes);
	return rc ? rc : changes ? RMC_OK : RMC_ENOENT;
}

/* After a reservation changed no row: was there no SA, or was it already that high? */
static int
spi_exists(struct store *s, const char *client, uint32_t spi_out)
{
	sqlite3_stmt *st = s->st[ST_HAS_SPI];
	int rc;

	bind_client(st, client);
	sqlite3_bind_int64(st, 2, spi_out);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = RMC_OK;
	else if (rc == SQLITE_DONE)
		rc = RMC_ENOENT;
	else
		rc = db_fail(s, "store_seq_reserve");
	stmt_done(st);
	return rc;
}

int
store_seq_reserve(struct store *s, const char *client, uint32_t spi_out, uint64_t upto)
{
	sqlite3_stmt *st;
	int changes = 0, rc;

	if (!s || !client_ok(client) || upto > (uint64_t)INT64_MAX)
		return RMC_EINVAL;
	st = s->st[ST_RESERVE];
	bind_client(st, client);
	sqlite3_bind_int64(st, 2, spi_out);
	sqlite3_bind_int64(st, 3, (int64_t)upto);
	rc = run_write(s, st, "store_seq_reserve", &changes);
	if (rc || changes)
		return rc;
	return spi_exists(s, client, spi_out);
}

int
store_clear(struct store *s)
{
	if (!s)
		return RMC_EINVAL;
	return run_write(s, s->st[ST_CLEAR], "store_clear", NULL);
}

int
store_count(struct store *s, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	if (!s || !n)
		return RMC_EINVAL;
	st = s->st[ST_COUNT];
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*n = (size_t)sqlite3_column_int64(st, 0);
		rc = RMC_OK;
	} else {
		rc = db_fail(s, "store_count");
	}
	stmt_done(st);
	return rc;
}

int
store_integrity_check(struct store *s)
{
	if (!s)
		return RMC_EINVAL;
	return pragma_expect(s->db, "store", "PRAGMA integrity_check", "ok", s->err,
			     sizeof(s->err));
}

/*
 * The fixed encoding of one struct nvram_sa in the store's sa.sa column
 * (docs/internals/store.md, "SA blob"): a version byte, then every field in a fixed
 * order, big-endian, key arrays at their full size, then a CRC-32. Never
 * the struct's raw bytes: those change with the compiler and padding.
 */
#ifndef RMCPSEC_NODES_STORE_BLOB_H
#define RMCPSEC_NODES_STORE_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "nodes/nvram.h"

enum store_blob_limits {
	STORE_BLOB_VERSION = 1,
	/* version, spi_in, spi_out, suite, esn, 3 lengths, 6 key arrays, peer_ip, txid, gen */
	STORE_BLOB_BODY_LEN = 1 + 4 + 4 + 1 + 1 + 3 +
			      2 * (NVRAM_KEY_MAX + NVRAM_SALT_MAX + NVRAM_INTEG_KEY_MAX) + 4 + 4 +
			      4,
	/*
	 * ... then nvram_crc32 of the body: SQLite checks the structure of
	 * its pages, not the bytes of a key.
	 */
	STORE_BLOB_LEN = STORE_BLOB_BODY_LEN + 4,
};

void store_blob_encode(const struct nvram_sa *sa, uint8_t out[STORE_BLOB_LEN]);
/*
 * RMC_ETRUNC: fewer than STORE_BLOB_LEN bytes; RMC_EUNSUP: another
 * version; RMC_EINVAL: more bytes, a wrong CRC, esn not 0/1 or a length
 * above its array. out is written only on success.
 */
int store_blob_decode(const uint8_t *p, size_t len, struct nvram_sa *out);

#endif

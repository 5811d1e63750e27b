/* The SA blob of the server's store; the layout is in docs/internals/store.md. */
#include "nodes/store_blob.h"

#include <string.h>

#include "proto/err.h"
#include "proto/rd.h"

void
store_blob_encode(const struct nvram_sa *sa, uint8_t out[STORE_BLOB_LEN])
{
	struct wr w = wr_init(out, STORE_BLOB_LEN);

	/* The buffer is exactly STORE_BLOB_LEN, so no write below can fail. */
	wr_u8(&w, STORE_BLOB_VERSION);
	wr_be32(&w, sa->spi_in);
	wr_be32(&w, sa->spi_out);
	wr_u8(&w, sa->suite);
	wr_u8(&w, sa->esn ? 1 : 0);
	wr_u8(&w, sa->key_len);
	wr_u8(&w, sa->salt_len);
	wr_u8(&w, sa->integ_key_len);
	wr_bytes(&w, sa->key, NVRAM_KEY_MAX);
	wr_bytes(&w, sa->salt, NVRAM_SALT_MAX);
	wr_bytes(&w, sa->integ_key, NVRAM_INTEG_KEY_MAX);
	wr_bytes(&w, sa->key_in, NVRAM_KEY_MAX);
	wr_bytes(&w, sa->salt_in, NVRAM_SALT_MAX);
	wr_bytes(&w, sa->integ_key_in, NVRAM_INTEG_KEY_MAX);
	wr_bytes(&w, sa->peer_ip, sizeof(sa->peer_ip));
	wr_be32(&w, sa->txid);
	wr_be32(&w, sa->gen);
	wr_be32(&w, nvram_crc32(out, STORE_BLOB_BODY_LEN));
}

static int
decode_fields(struct rd *r, struct nvram_sa *sa)
{
	uint8_t esn;
	int rc = 0;

	rc = rc ? rc : rd_be32(r, &sa->spi_in);
	rc = rc ? rc : rd_be32(r, &sa->spi_out);
	rc = rc ? rc : rd_u8(r, &sa->suite);
	rc = rc ? rc : rd_u8(r, &esn);
	rc = rc ? rc : rd_u8(r, &sa->key_len);
	rc = rc ? rc : rd_u8(r, &sa->salt_len);
	rc = rc ? rc : rd_u8(r, &sa->integ_key_len);
	rc = rc ? rc : rd_copy(r, sa->key, NVRAM_KEY_MAX);
	rc = rc ? rc : rd_copy(r, sa->salt, NVRAM_SALT_MAX);
	rc = rc ? rc : rd_copy(r, sa->integ_key, NVRAM_INTEG_KEY_MAX);
	rc = rc ? rc : rd_copy(r, sa->key_in, NVRAM_KEY_MAX);
	rc = rc ? rc : rd_copy(r, sa->salt_in, NVRAM_SALT_MAX);
	rc = rc ? rc : rd_copy(r, sa->integ_key_in, NVRAM_INTEG_KEY_MAX);
	rc = rc ? rc : rd_copy(r, sa->peer_ip, sizeof(sa->peer_ip));
	rc = rc ? rc : rd_be32(r, &sa->txid);
	rc = rc ? rc : rd_be32(r, &sa->gen);
	if (rc)
		return rc;
	if (esn > 1 || sa->key_len > NVRAM_KEY_MAX || sa->salt_len > NVRAM_SALT_MAX ||
	    sa->integ_key_len > NVRAM_INTEG_KEY_MAX)
		return RMC_EINVAL;
	sa->esn = esn;
	return RMC_OK;
}

int
store_blob_decode(const uint8_t *p, size_t len, struct nvram_sa *out)
{
	struct nvram_sa sa;
	struct rd r = rd_init(p, len);
	uint8_t version;
	int rc;

	if (len < STORE_BLOB_LEN)
		return RMC_ETRUNC;
	if (len > STORE_BLOB_LEN)
		return RMC_EINVAL;
	if (rd_u8(&r, &version))
		return RMC_ETRUNC;
	if (version != STORE_BLOB_VERSION)
		return RMC_EUNSUP;
	if (get_be32(p + STORE_BLOB_BODY_LEN) != nvram_crc32(p, STORE_BLOB_BODY_LEN))
		return RMC_EINVAL;
	memset(&sa, 0, sizeof(sa));
	rc = decode_fields(&r, &sa);
	if (rc == RMC_OK)
		*out = sa;
	explicit_bzero(&sa, sizeof(sa));
	return rc;
}

/*
 * One bounds-checked reader and one bounded writer for every wire format.
 * Checks are written as "n <= len - off" so they cannot overflow (tcpdump's
 * ND_BYTES_AVAILABLE_AFTER idea), and each call either succeeds completely
 * or leaves the cursor where it was and returns RMC_ETRUNC / RMC_ENOSPC.
 */
#ifndef RMCPSEC_PROTO_RD_H
#define RMCPSEC_PROTO_RD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/err.h"

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static inline struct rd
rd_init(const uint8_t *p, size_t len)
{
	struct rd r = {p, len, 0};
	return r;
}

static inline size_t
rd_left(const struct rd *r)
{
	return r->len - r->off;
}

static inline const uint8_t *
rd_ptr(const struct rd *r)
{
	return r->p + r->off;
}

static inline int
rd_skip(struct rd *r, size_t n)
{
	if (n > rd_left(r))
		return RMC_ETRUNC;
	r->off += n;
	return RMC_OK;
}

static inline int
rd_u8(struct rd *r, uint8_t *v)
{
	if (rd_left(r) < 1)
		return RMC_ETRUNC;
	*v = r->p[r->off++];
	return RMC_OK;
}

static inline int
rd_be16(struct rd *r, uint16_t *v)
{
	if (rd_left(r) < 2)
		return RMC_ETRUNC;
	const uint8_t *q = r->p + r->off;
	*v = (uint16_t)((q[0] << 8) | q[1]);
	r->off += 2;
	return RMC_OK;
}

static inline int
rd_be32(struct rd *r, uint32_t *v)
{
	if (rd_left(r) < 4)
		return RMC_ETRUNC;
	const uint8_t *q = r->p + r->off;
	*v = ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
	r->off += 4;
	return RMC_OK;
}

static inline int
rd_be64(struct rd *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (rd_left(r) < 8)
		return RMC_ETRUNC;
	rd_be32(r, &hi);
	rd_be32(r, &lo);
	*v = ((uint64_t)hi << 32) | lo;
	return RMC_OK;
}

static inline int
rd_copy(struct rd *r, void *dst, size_t n)
{
	if (n > rd_left(r))
		return RMC_ETRUNC;
	memcpy(dst, r->p + r->off, n);
	r->off += n;
	return RMC_OK;
}

/* A sub-reader over the next n bytes; the parent moves past them. */
static inline int
rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (n > rd_left(r))
		return RMC_ETRUNC;
	*sub = rd_init(r->p + r->off, n);
	r->off += n;
	return RMC_OK;
}

struct wr {
	uint8_t *p;
	size_t cap;
	size_t off;
};

static inline struct wr
wr_init(uint8_t *p, size_t cap)
{
	struct wr w = {p, cap, 0};
	return w;
}

static inline int
wr_bytes(struct wr *w, const void *src, size_t n)
{
	if (n > w->cap - w->off)
		return RMC_ENOSPC;
	if (n)
		memcpy(w->p + w->off, src, n);
	w->off += n;
	return RMC_OK;
}

static inline int
wr_u8(struct wr *w, uint8_t v)
{
	return wr_bytes(w, &v, 1);
}

static inline int
wr_be16(struct wr *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	return wr_bytes(w, b, 2);
}

static inline int
wr_be32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	return wr_bytes(w, b, 4);
}

static inline int
wr_be64(struct wr *w, uint64_t v)
{
	int rc = wr_be32(w, (uint32_t)(v >> 32));
	return rc ? rc : wr_be32(w, (uint32_t)v);
}

static inline void
put_be16(uint8_t *q, uint16_t v)
{
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

static inline void
put_be32(uint8_t *q, uint32_t v)
{
	q[0] = (uint8_t)(v >> 24);
	q[1] = (uint8_t)(v >> 16);
	q[2] = (uint8_t)(v >> 8);
	q[3] = (uint8_t)v;
}

static inline uint16_t
get_be16(const uint8_t *q)
{
	return (uint16_t)((q[0] << 8) | q[1]);
}

static inline uint32_t
get_be32(const uint8_t *q)
{
	return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 8) | q[3];
}

#endif

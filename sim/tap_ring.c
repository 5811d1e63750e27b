#include "sim/tap_ring.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <linux/time_types.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "proto/err.h"
#include "sim/tap.h"

enum {
	RING_ENTRIES = 256,	   /* SQ size; CQ is twice that */
	RING_WRITES = 192,	   /* queued writes before a forced flush */
	RING_COPY = 96 * 1024,	   /* bytes for copied frames (fate scratch, held frames) */
	RING_WAIT_S = 1,	   /* an enter that waits longer than this is an error */
	RING_TAG_WRITE = 1u << 31, /* user_data: write index, else read slot */
};

struct ring_write {
	uint32_t port;
	uint32_t len;
};

struct tap_ring {
	int fd;
	int fds[TAP_MAX_PORTS];
	void *sq_map, *cq_map;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	bool nowait; /* reads carry RWF_NOWAIT (the TAP supports it) */
	unsigned nw; /* queued writes */
	size_t copy_used;
	struct ring_write w[RING_WRITES];
	uint8_t (*slots)[TAP_FRAME_MAX]; /* TAP_DRAIN_BUDGET read slots */
	uint8_t *copy;			 /* RING_COPY bytes */
};

static int
ring_setup(unsigned entries, struct io_uring_params *p)
{
	memset(p, 0, sizeof(*p));
	/* COOP_TASKRUN: no IPI to interrupt us for completions we wait for anyway. */
	p->flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
	int fd = (int)syscall(__NR_io_uring_setup, entries, p);
	if (fd < 0 && errno == EINVAL) {
		memset(p, 0, sizeof(*p));
		fd = (int)syscall(__NR_io_uring_setup, entries, p);
	}
	return fd;
}

static int
ring_map(struct tap_ring *r, const struct io_uring_params *p)
{
	r->sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
	r->cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	if (p->features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = 0;
	}
	r->sq_map = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			 IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED)
		return RMC_EIO;
	r->cq_map = r->sq_map;
	if (r->cq_len) {
		r->cq_map = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
				 r->fd, IORING_OFF_CQ_RING);
		if (r->cq_map == MAP_FAILED)
			return RMC_EIO;
	}
	r->sqes_len = p->sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return RMC_EIO;
	uint8_t *sq = r->sq_map, *cq = r->cq_map;
	r->sq_head = (unsigned *)(sq + p->sq_off.head);
	r->sq_tail = (unsigned *)(sq + p->sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p->sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p->sq_off.array);
	r->cq_head = (unsigned *)(cq + p->cq_off.head);
	r->cq_tail = (unsigned *)(cq + p->cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p->cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
	return RMC_OK;
}

struct tap_ring *
tap_ring_open(const struct tap_fwd *f)
{
	struct tap_ring *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = -1;
	r->sq_map = r->cq_map = r->sqes = MAP_FAILED;
	r->slots = malloc(sizeof(*r->slots) * TAP_DRAIN_BUDGET);
	r->copy = malloc(RING_COPY);
	struct io_uring_params p;
	if (!r->slots || !r->copy || (r->fd = ring_setup(RING_ENTRIES, &p)) < 0 ||
	    ring_map(r, &p) != RMC_OK)
		goto fail;
	/* The bounded wait (ring_enter) needs IORING_ENTER_EXT_ARG (Linux 5.11). */
	if (!(p.features & IORING_FEAT_EXT_ARG))
		goto fail;
	/*
	 * Descriptors are not registered with the ring: a registered file stays
	 * open until the ring's deferred teardown, so closing a TAP would no
	 * longer remove its link at once (tap_dev_destroy's promise).
	 */
	memcpy(r->fds, f->fds, f->nports * sizeof(int));
	r->nowait = true;
	return r;
fail:
	tap_ring_close(r);
	return NULL;
}

void
tap_ring_close(struct tap_ring *r)
{
	if (!r)
		return;
	if (r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq_map != MAP_FAILED && r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_len);
	if (r->sq_map != MAP_FAILED)
		munmap(r->sq_map, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
	free(r->slots);
	free(r->copy);
	free(r);
}

static struct io_uring_sqe *
sqe_next(struct tap_ring *r, unsigned k)
{
	unsigned tail = *r->sq_tail + k;
	unsigned idx = tail & *r->sq_mask;
	r->sq_array[idx] = idx;
	struct io_uring_sqe *s = &r->sqes[idx];
	memset(s, 0, sizeof(*s));
	return s;
}

/*
 * Publishes n prepared SQEs and waits for n completions, each handed to
 * done(ctx, user_data, res). The SQ is empty between calls, so slots
 * tail..tail+n-1 are free.
 */
static int
ring_enter(struct tap_ring *r, unsigned n, void (*done)(void *, uint64_t, int32_t), void *ctx)
{
	__atomic_store_n(r->sq_tail, *r->sq_tail + n, __ATOMIC_RELEASE);
	struct __kernel_timespec ts = {.tv_sec = RING_WAIT_S};
	struct io_uring_getevents_arg arg = {.ts = (uint64_t)(uintptr_t)&ts};
	unsigned seen = 0, submitted = 0;
	while (seen < n) {
		long rc = syscall(__NR_io_uring_enter, r->fd, n - submitted, n - seen,
				  IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg));
		if (rc < 0 && errno != EINTR && errno != ETIME)
			return RMC_EIO;
		if (rc > 0)
			submitted += (unsigned)rc;
		unsigned head = *r->cq_head, tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
		if (head == tail && rc < 0 && errno == ETIME)
			return RMC_EIO; /* an operation that should complete inline did not */
		for (; head != tail; head++, seen++) {
			const struct io_uring_cqe *c = &r->cqes[head & *r->cq_mask];
			done(ctx, c->user_data, c->res);
		}
		__atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
	}
	return RMC_OK;
}

static void
read_done(void *ctx, uint64_t tag, int32_t res)
{
	int32_t *out = ctx;
	out[tag & (TAP_DRAIN_BUDGET - 1)] = res;
}

static void
read_prep(struct tap_ring *r, size_t port, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct io_uring_sqe *s = sqe_next(r, i);
		s->opcode = IORING_OP_READ;
		s->fd = r->fds[port];
		s->addr = (uint64_t)(uintptr_t)r->slots[i];
		s->len = TAP_FRAME_MAX;
		s->rw_flags = r->nowait ? RWF_NOWAIT : 0;
		s->user_data = i;
	}
}

int
tap_ring_read(struct tap_ring *r, size_t port, unsigned n, int32_t *res)
{
	if (n > TAP_DRAIN_BUDGET)
		n = TAP_DRAIN_BUDGET;
	for (unsigned i = n; i < TAP_DRAIN_BUDGET; i++)
		res[i] = -EAGAIN; /* slots not asked for read as empty */
	read_prep(r, port, n);
	int rc = ring_enter(r, n, read_done, res);
	if (rc == RMC_OK && r->nowait && n && res[0] == -EOPNOTSUPP) {
		/* This TAP has no NOWAIT: O_NONBLOCK alone makes io_uring return -EAGAIN. */
		r->nowait = false;
		read_prep(r, port, n);
		rc = ring_enter(r, n, read_done, res);
	}
	return rc;
}

uint8_t *
tap_ring_slot(struct tap_ring *r, unsigned i)
{
	return r->slots[i];
}

struct flush_ctx {
	struct tap_ring *r;
	struct tap_fwd *f;
};

static void
write_done(void *ctx, uint64_t tag, int32_t res)
{
	struct flush_ctx *c = ctx;
	const struct ring_write *w = &c->r->w[tag & ~(uint64_t)RING_TAG_WRITE];
	if (res == (int32_t)w->len) {
		c->f->st[w->port].tx++;
		c->f->forwarded++;
	} else {
		c->f->st[w->port].tx_error++;
	}
}

int
tap_ring_flush(struct tap_ring *r, struct tap_fwd *f)
{
	unsigned n = r->nw;
	r->nw = 0;
	r->copy_used = 0;
	if (n == 0)
		return RMC_OK;
	struct flush_ctx c = {r, f};
	return ring_enter(r, n, write_done, &c);
}

int
tap_ring_queue(struct tap_ring *r, struct tap_fwd *f, size_t port, const uint8_t *p, size_t len)
{
	const uint8_t *lo = r->slots[0], *hi = r->slots[TAP_DRAIN_BUDGET - 1] + TAP_FRAME_MAX;
	bool in_slot = p >= lo && p + len <= hi;
	if (r->nw == RING_WRITES || (!in_slot && r->copy_used + len > RING_COPY)) {
		int rc = tap_ring_flush(r, f);
		if (rc != RMC_OK)
			return rc;
	}
	if (!in_slot) {
		memcpy(r->copy + r->copy_used, p, len);
		p = r->copy + r->copy_used;
		r->copy_used += len;
	}
	struct io_uring_sqe *s = sqe_next(r, r->nw);
	s->opcode = IORING_OP_WRITE;
	s->fd = r->fds[port];
	s->addr = (uint64_t)(uintptr_t)p;
	s->len = (uint32_t)len;
	s->user_data = RING_TAG_WRITE | r->nw;
	r->w[r->nw] = (struct ring_write){.port = (uint32_t)port, .len = (uint32_t)len};
	r->nw++;
	return RMC_OK;
}

/*
 * Frames per second between two TAP devices, two ways:
 *
 *   raw      writer -> write(TAP a) -> Linux bridge -> TAP b -> read() -> reader
 *   harness  writer -> AF_PACKET send on a -> TAP a's queue -> forwarder
 *            (sim/tap: read, trace, learning switch, write) -> TAP b ->
 *            AF_PACKET on b -> reader
 *
 * In the harness run each TAP's link lives in a namespace of its own (the
 * nodes' side) and the forwarder is a separate process holding only the
 * two TAP descriptors, as `--net tap` will run it. Every namespace and
 * device is created here with a unique name and removed before exit.
 *
 * A TAP write() never fails when the queue behind it is full (the frame is
 * a silent TX drop), so the writer is paced: it keeps at most WINDOW frames
 * in flight (sent and not yet received), below every queue on the path
 * (tun's 500-frame ring, the packet socket's receive buffer). Every stage
 * counts: sent, read and written by the forwarder, received; the reader
 * checks that frames arrive once each, in order.
 *
 * Usage: tap_bench raw|raw_uring|harness FRAMES WINDOW [TRACE]
 * Prints one line: mode=... sent=... received=... lost=... fps=...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <linux/if_packet.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcap/trace.h"
#include "sim/tap.h"
#include "sim/tap_ring.h"

enum {
	BENCH_ETHERTYPE = 0x88b5, /* IEEE 802 local experimental */
	BENCH_FRAME = 60,	  /* minimum Ethernet frame without FCS */
	BENCH_IDLE_MS = 500,
	BENCH_RCVBUF = 1 << 20,
	BENCH_SPINS = 64,	/* yields before the writer sleeps on the futex */
	BENCH_BATCH = 64,	/* frames per sendmmsg on the writing node */
	BENCH_RING_FRAME = 256, /* TPACKET_V2 slot: header, sockaddr_ll, 60-byte frame */
	BENCH_RING_BLOCK = 4096,
	BENCH_RING_FRAMES = 1024, /* far above the window: the ring never fills */
};

struct counts {
	_Atomic uint64_t sent, received, misordered;
	_Atomic int writer_done, reader_done;
	_Atomic int writer_waits; /* the writer sleeps on `wake` until the window half drains */
	_Atomic uint32_t wake;	  /* futex word */
	uint64_t t_start, t_end;
	double cpu_writer, cpu_reader; /* each thread's own CPU seconds */
};

/* What the forwarder process reports back through shared memory. */
struct fwd_report {
	double cpu;
	bool batched; /* io_uring (tap_fwd_batch) */
	uint64_t enters;
	uint64_t rx, forwarded, tx_error, fault_dropped, flooded, traced, polls;
	int rc;
};

/* A TPACKET_V2 receive ring on the reading node's packet socket. */
struct rx_ring {
	uint8_t *map;
	size_t frames, frame_size, next;
};

struct side {
	int wfd, rfd; /* writer's and reader's descriptors */
	uint64_t frames, window;
	struct counts *c;
	bool batch_tx;	    /* wfd is a packet socket: sendmmsg in batches */
	struct rx_ring *rx; /* non-NULL: rfd is a packet socket with an RX ring */
	bool uring;	    /* raw_uring: both TAP ends batched through io_uring */
	bool pin;	    /* writer on CPU 0, reader on reader_cpu */
	int reader_cpu;	    /* harness: 0 (the forwarder has CPU 1); raw: 1 */
};

/* Variant switches for measuring what each change is worth (bench/tap/README.md). */
static bool
env_is(const char *name, const char *value)
{
	const char *v = getenv(name);
	return v && strcmp(v, value) == 0;
}

/* Pins the calling thread to one CPU; best effort (a 1-CPU machine keeps going). */
static void
pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static double
thread_cpu(void)
{
	struct rusage u;
	getrusage(RUSAGE_THREAD, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
futex_wait(_Atomic uint32_t *w, uint32_t old, int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, old, &ts, NULL, 0);
}

static void
futex_wake(_Atomic uint32_t *w)
{
	atomic_fetch_add(w, 1);
	syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/*
 * Blocks while `window` frames are in flight. Returns false when nothing
 * has arrived for BENCH_IDLE_MS: frames were lost and will never drain.
 */
static bool
window_wait(struct counts *c, uint64_t seq, uint64_t window)
{
	uint64_t last = atomic_load(&c->received), since = mono_ns();
	unsigned spins = 0;
	while (seq - atomic_load(&c->received) >= window) {
		if (atomic_load(&c->reader_done))
			return false;
		if (++spins < BENCH_SPINS) {
			sched_yield(); /* the window usually reopens within a few yields */
			continue;
		}
		uint32_t g = atomic_load(&c->wake);
		atomic_store(&c->writer_waits, 1);
		if (seq - atomic_load(&c->received) >= window)
			futex_wait(&c->wake, g, 100);
		atomic_store(&c->writer_waits, 0);
		uint64_t now = atomic_load(&c->received);
		if (now != last) {
			last = now;
			since = mono_ns();
		} else if (mono_ns() - since > (uint64_t)BENCH_IDLE_MS * 1000000u) {
			return false;
		}
	}
	return true;
}

static void
frame_fill(uint8_t *f, uint64_t seq)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};
	memset(f, 0, BENCH_FRAME);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = BENCH_ETHERTYPE >> 8;
	f[13] = BENCH_ETHERTYPE & 0xff;
	memcpy(f + 14, &seq, sizeof(seq));
}

static void *
writer(void *arg)
{
	struct side *s = arg;
	if (s->pin)
		pin(0);
	uint8_t f[BENCH_FRAME];
	s->c->t_start = mono_ns();
	for (uint64_t seq = 0; seq < s->frames; seq++) {
		if (!window_wait(s->c, seq, s->window)) {
			fprintf(stderr, "tap_bench: stalled with %" PRIu64 " frames in flight\n",
				seq - atomic_load(&s->c->received));
			break;
		}
		frame_fill(f, seq);
		ssize_t w = write(s->wfd, f, sizeof(f));
		if (w == (ssize_t)sizeof(f)) {
			atomic_fetch_add(&s->c->sent, 1);
		} else if (w < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) {
			seq--; /* a packet socket's send buffer was full: not sent, retry */
			sched_yield();
		} else {
			perror("tap_bench: write");
			break;
		}
	}
	s->c->cpu_writer = thread_cpu();
	atomic_store(&s->c->writer_done, 1);
	return NULL;
}

/*
 * The writing node on a packet socket: up to BENCH_BATCH frames per
 * sendmmsg, never more than the window allows.
 */
static void *
writer_batched(void *arg)
{
	struct side *s = arg;
	if (s->pin)
		pin(0);
	static uint8_t f[BENCH_BATCH][BENCH_FRAME];
	struct iovec iov[BENCH_BATCH];
	struct mmsghdr m[BENCH_BATCH];
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BENCH_BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = f[i], .iov_len = BENCH_FRAME};
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	s->c->t_start = mono_ns();
	uint64_t seq = 0;
	while (seq < s->frames) {
		if (!window_wait(s->c, seq, s->window)) {
			fprintf(stderr, "tap_bench: stalled with %" PRIu64 " frames in flight\n",
				seq - atomic_load(&s->c->received));
			break;
		}
		uint64_t room = s->window - (seq - atomic_load(&s->c->received));
		uint64_t n = s->frames - seq;
		if (n > room)
			n = room;
		if (n > BENCH_BATCH)
			n = BENCH_BATCH;
		for (uint64_t i = 0; i < n; i++)
			frame_fill(f[i], seq + i);
		int w = sendmmsg(s->wfd, m, (unsigned)n, 0);
		if (w > 0) {
			seq += (uint64_t)w;
			atomic_fetch_add(&s->c->sent, (uint64_t)w);
		} else if (w < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) {
			sched_yield(); /* the send buffer was full: nothing sent, retry */
		} else {
			perror("tap_bench: sendmmsg");
			break;
		}
	}
	s->c->cpu_writer = thread_cpu();
	atomic_store(&s->c->writer_done, 1);
	return NULL;
}

/* One frame arrived at the reader: order check, count, wake the writer. */
static void
reader_got(struct side *s, const uint8_t *f, size_t len, uint64_t *expect)
{
	if (len < 14 + 8 || f[12] != BENCH_ETHERTYPE >> 8 || f[13] != (BENCH_ETHERTYPE & 0xff))
		return;
	uint64_t seq;
	memcpy(&seq, f + 14, sizeof(seq));
	if (seq != *expect)
		atomic_fetch_add(&s->c->misordered, 1);
	*expect = seq + 1;
	uint64_t got = atomic_fetch_add(&s->c->received, 1) + 1;
	s->c->t_end = mono_ns();
	if (atomic_load(&s->c->writer_waits) && atomic_load(&s->c->sent) - got <= s->window / 2)
		futex_wake(&s->c->wake);
}

/* The reading node on its RX ring: no system call while frames are queued. */
static void *
reader_ring(void *arg)
{
	struct side *s = arg;
	if (s->pin)
		pin(s->reader_cpu);
	struct rx_ring *r = s->rx;
	uint64_t expect = 0;
	unsigned idle = 0;
	struct pollfd p = {.fd = s->rfd, .events = POLLIN};
	for (;;) {
		if (atomic_load(&s->c->writer_done) &&
		    atomic_load(&s->c->received) >= atomic_load(&s->c->sent))
			break;
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)(r->map + r->next * r->frame_size);
		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
			/*
			 * Yield before sleeping: a sleeping reader makes the
			 * forwarder pay a wake-up for every frame it delivers.
			 */
			if (++idle < BENCH_SPINS) {
				sched_yield();
				continue;
			}
			idle = 0;
			int n = poll(&p, 1, atomic_load(&s->c->writer_done) ? BENCH_IDLE_MS : 1);
			if (n == 0 && atomic_load(&s->c->writer_done))
				break;
			continue;
		}
		idle = 0;
		reader_got(s, (const uint8_t *)h + h->tp_mac, h->tp_snaplen, &expect);
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		r->next = (r->next + 1) % r->frames;
	}
	s->c->cpu_reader = thread_cpu();
	atomic_store(&s->c->reader_done, 1);
	futex_wake(&s->c->wake);
	return NULL;
}

/*
 * The informational raw_uring mode: the raw path's TAP ends batched the way
 * the forwarder batches (sim/tap_ring.h), to show what the same batching is
 * worth on the bridge side. Each thread has a ring of its own.
 */
static struct tap_ring *
uring_for(struct tap_fwd *f, const struct side *s)
{
	int fds[2] = {s->wfd, s->rfd};
	tap_fwd_init(f, fds, 2, NULL);
	return tap_ring_open(f);
}

static void *
writer_uring(void *arg)
{
	struct side *s = arg;
	static struct tap_fwd f;
	struct tap_ring *r = uring_for(&f, s);
	uint8_t fr[BENCH_FRAME];
	s->c->t_start = mono_ns();
	uint64_t seq = 0;
	while (r && seq < s->frames) {
		if (!window_wait(s->c, seq, s->window))
			break;
		uint64_t room = s->window - (seq - atomic_load(&s->c->received));
		uint64_t n = s->frames - seq;
		n = n < room ? n : room;
		n = n < BENCH_BATCH ? n : BENCH_BATCH;
		for (uint64_t i = 0; i < n; i++) {
			frame_fill(fr, seq + i);
			tap_ring_queue(r, &f, 0, fr, sizeof(fr)); /* copied into the ring's arena */
		}
		uint64_t before = f.st[0].tx;
		if (tap_ring_flush(r, &f) != 0 || f.st[0].tx_error)
			break;
		seq += n;
		atomic_fetch_add(&s->c->sent, f.st[0].tx - before);
	}
	tap_ring_close(r);
	s->c->cpu_writer = thread_cpu();
	atomic_store(&s->c->writer_done, 1);
	return NULL;
}

static void *
reader_uring(void *arg)
{
	struct side *s = arg;
	static struct tap_fwd f;
	struct tap_ring *r = uring_for(&f, s);
	uint64_t expect = 0;
	int32_t res[TAP_DRAIN_BUDGET];
	struct pollfd p = {.fd = s->rfd, .events = POLLIN};
	while (r) {
		if (atomic_load(&s->c->writer_done) &&
		    atomic_load(&s->c->received) >= atomic_load(&s->c->sent))
			break;
		if (tap_ring_read(r, 1, TAP_DRAIN_BUDGET, res) != 0)
			break;
		int got = 0;
		for (unsigned i = 0; i < TAP_DRAIN_BUDGET; i++)
			if (res[i] > 0) {
				reader_got(s, tap_ring_slot(r, i), (size_t)res[i], &expect);
				got++;
			}
		if (got == 0) {
			int n = poll(&p, 1, atomic_load(&s->c->writer_done) ? BENCH_IDLE_MS : 1);
			if (n == 0 && atomic_load(&s->c->writer_done))
				break;
		}
	}
	tap_ring_close(r);
	s->c->cpu_reader = thread_cpu();
	atomic_store(&s->c->reader_done, 1);
	futex_wake(&s->c->wake);
	return NULL;
}

static void *
reader(void *arg)
{
	struct side *s = arg;
	if (s->pin)
		pin(s->reader_cpu);
	uint8_t f[TAP_FRAME_MAX];
	uint64_t expect = 0;
	struct pollfd p = {.fd = s->rfd, .events = POLLIN};
	for (;;) {
		if (atomic_load(&s->c->writer_done) &&
		    atomic_load(&s->c->received) >= atomic_load(&s->c->sent))
			break;
		ssize_t r = read(s->rfd, f, sizeof(f));
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				break;
			/* 1 ms ticks so the end (writer done, all received) is seen promptly */
			int n = poll(&p, 1, atomic_load(&s->c->writer_done) ? BENCH_IDLE_MS : 1);
			if (n == 0 && atomic_load(&s->c->writer_done))
				break;
			continue;
		}
		reader_got(s, f, (size_t)r, &expect);
	}
	s->c->cpu_reader = thread_cpu();
	atomic_store(&s->c->reader_done, 1);
	futex_wake(&s->c->wake);
	return NULL;
}

static int
measure(struct side *s)
{
	pthread_t w, r;
	void *(*rd)(void *) = s->uring ? reader_uring : s->rx ? reader_ring : reader;
	void *(*wr)(void *) = s->uring ? writer_uring : s->batch_tx ? writer_batched : writer;
	if (pthread_create(&r, NULL, rd, s) != 0)
		return -1;
	if (pthread_create(&w, NULL, wr, s) != 0) {
		atomic_store(&s->c->writer_done, 1);
		pthread_join(r, NULL);
		return -1;
	}
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	return 0;
}

/* CPU seconds of this process and its waited-for children (the forwarder). */
static double
cpu_secs(void)
{
	struct rusage self, kids;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	struct timeval t[4] = {self.ru_utime, self.ru_stime, kids.ru_utime, kids.ru_stime};
	double s = 0;
	for (int i = 0; i < 4; i++)
		s += (double)t[i].tv_sec + (double)t[i].tv_usec / 1e6;
	return s;
}

static double
fps(const struct counts *c)
{
	double secs = (double)(c->t_end - c->t_start) / 1e9;
	return secs > 0 ? (double)atomic_load(&c->received) / secs : 0;
}

static int
bridge(const struct tap_ns *ns, const struct tap_dev *a, const struct tap_dev *b)
{
	const char *add[] = {"-n",   ns->name, "link",		"add", "rmtbbr",
			     "type", "bridge", "forward_delay", "0",   NULL};
	const char *ma[] = {"-n", ns->name, "link", "set", a->ifname, "master", "rmtbbr", NULL};
	const char *mb[] = {"-n", ns->name, "link", "set", b->ifname, "master", "rmtbbr", NULL};
	const char *up[] = {"-n", ns->name, "link", "set", "rmtbbr", "up", NULL};
	if (tap_run_ip(add) || tap_run_ip(ma) || tap_run_ip(mb) || tap_run_ip(up))
		return -1;
	return 0;
}

static int
run_raw(uint64_t frames, uint64_t window, bool uring)
{
	struct tap_ns ns = {.fd = -1};
	struct tap_dev a = {.fd = -1}, b = {.fd = -1};
	struct counts c = {0};
	int rc = 2;
	if (tap_ns_create(&ns, "rmtb") || tap_dev_create(&a, &ns, "rmtb") ||
	    tap_dev_create(&b, &ns, "rmtb") || bridge(&ns, &a, &b)) {
		fprintf(stderr, "tap_bench: cannot set up the bridge (root?)\n");
		goto out;
	}
	struct side s = {.wfd = a.fd, .rfd = b.fd, .frames = frames, .window = window, .c = &c};
	s.pin = env_is("TAP_BENCH_RAW_PIN", "1");
	s.reader_cpu = 1;
	s.uring = uring;
	double cpu0 = cpu_secs();
	if (measure(&s) != 0)
		goto out;
	double cpu = cpu_secs() - cpu0;
	uint64_t sent = atomic_load(&c.sent), got = atomic_load(&c.received);
	printf("mode=%s sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64 " misordered=%" PRIu64
	       " fps=%.0f cpu_s=%.3f cpu_writer=%.3f cpu_reader=%.3f pinned=%d io=%s\n",
	       uring ? "raw_uring" : "raw", sent, got, sent - got, atomic_load(&c.misordered),
	       fps(&c), cpu, c.cpu_writer, c.cpu_reader, s.pin, uring ? "io_uring" : "write+read");
	rc = 0;
out:
	tap_dev_destroy(&a);
	tap_dev_destroy(&b);
	tap_ns_destroy(&ns);
	return rc;
}

/* A TPACKET_V2 RX ring on packet socket fd, mapped into r. */
static int
rx_ring_open(int fd, struct rx_ring *r)
{
	int v = TPACKET_V2;
	struct tpacket_req req = {
	    .tp_block_size = BENCH_RING_BLOCK,
	    .tp_block_nr = BENCH_RING_FRAMES * BENCH_RING_FRAME / BENCH_RING_BLOCK,
	    .tp_frame_size = BENCH_RING_FRAME,
	    .tp_frame_nr = BENCH_RING_FRAMES,
	};
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0)
		return -1;
	size_t len = (size_t)req.tp_block_size * req.tp_block_nr;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	*r =
	    (struct rx_ring){.map = m, .frames = BENCH_RING_FRAMES, .frame_size = BENCH_RING_FRAME};
	return 0;
}

/* The forwarder process: the two TAP descriptors, a trace, until stop hangs up. */
static void
forwarder(int fa, int fb, const char *trace_path, int stop, struct fwd_report *rep)
{
	if (!env_is("TAP_BENCH_PIN", "0"))
		pin(1);
	char err[256];
	struct trace *t = trace_open(trace_path, err, sizeof(err));
	if (!t) {
		fprintf(stderr, "tap_bench: %s\n", err);
		rep->rc = 2;
		return;
	}
	static struct tap_fwd f; /* 12 KiB: off the stack, and allocated once */
	int fds[2] = {fa, fb};
	tap_fwd_init(&f, fds, 2, t);
	rep->batched = !env_is("TAP_BENCH_FWD", "plain") && tap_fwd_batch(&f) == 0;
	rep->rc = tap_fwd_run(&f, stop) == 0 ? 0 : 2;
	rep->enters = f.ring_enters;
	tap_fwd_free(&f);
	rep->rx = f.frames;
	rep->forwarded = f.forwarded;
	rep->flooded = f.flooded;
	rep->polls = f.polls;
	rep->fault_dropped = f.fault_dropped;
	rep->tx_error = f.st[0].tx_error + f.st[1].tx_error;
	rep->traced = trace_frames(t);
	rep->cpu = thread_cpu();
	if (trace_close(t) != 0)
		rep->rc = 2;
}

static int
run_harness(uint64_t frames, uint64_t window, const char *trace_path)
{
	struct tap_ns na = {.fd = -1}, nb = {.fd = -1};
	struct tap_dev a = {.fd = -1}, b = {.fd = -1};
	int sa = -1, sb = -1, stop[2] = {-1, -1}, rc = 2;
	pid_t pid = -1;
	struct counts c = {0};
	struct rx_ring rx = {0};
	bool node_fast = !getenv("TAP_BENCH_NODE") || env_is("TAP_BENCH_NODE", "fast");
	struct fwd_report *rep =
	    mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rep == MAP_FAILED)
		return 2;
	memset(rep, 0, sizeof(*rep));
	if (tap_ns_create(&na, "rmtb") || tap_ns_create(&nb, "rmtb") ||
	    tap_dev_create(&a, &na, "rmtb") || tap_dev_create(&b, &nb, "rmtb")) {
		fprintf(stderr, "tap_bench: cannot create the namespaces and TAPs (root?)\n");
		goto out;
	}
	sa = tap_node_socket(&na, a.ifname, BENCH_ETHERTYPE);
	sb = tap_node_socket(&nb, b.ifname, BENCH_ETHERTYPE);
	if (sa < 0 || sb < 0 || pipe(stop) != 0)
		goto out;
	/*
	 * The writing node hands frames straight to the TAP's queue, as a write
	 * on the raw run's TAP does; without it each frame also crosses a qdisc.
	 */
	int one = 1, rcvbuf = BENCH_RCVBUF;
	setsockopt(sa, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	/* The reading node's queue holds a whole window with room to spare. */
	setsockopt(sb, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	double cpu0 = cpu_secs();
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		close(stop[1]);
		forwarder(a.fd, b.fd, trace_path, stop[0], rep);
		_exit(rep->rc);
	}
	close(stop[0]);
	stop[0] = -1;
	struct side s = {.wfd = sa, .rfd = sb, .frames = frames, .window = window, .c = &c};
	if (node_fast || env_is("TAP_BENCH_NODE", "rxring")) {
		if (rx_ring_open(sb, &rx) != 0) {
			perror("tap_bench: PACKET_RX_RING");
			goto out;
		}
		s.rx = &rx;
	}
	s.pin = !env_is("TAP_BENCH_PIN", "0");
	s.batch_tx = node_fast || env_is("TAP_BENCH_NODE", "txbatch");
	int m = measure(&s);
	close(stop[1]); /* the forwarder sees the hang-up and ends */
	stop[1] = -1;
	int status = 0;
	waitpid(pid, &status, 0);
	pid = -1;
	if (m != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		goto out;
	struct tpacket_stats ps = {0};
	socklen_t pl = sizeof(ps);
	getsockopt(sb, SOL_PACKET, PACKET_STATISTICS, &ps, &pl); /* drops at the reading node */
	uint64_t sent = atomic_load(&c.sent), got = atomic_load(&c.received);
	printf("mode=harness sent=%" PRIu64 " fwd_rx=%" PRIu64 " fwd_tx=%" PRIu64
	       " fwd_tx_error=%" PRIu64 " fault_dropped=%" PRIu64 " traced=%" PRIu64
	       " received=%" PRIu64 " lost=%" PRIu64 " lost_before_fwd=%" PRIu64
	       " lost_after_fwd=%" PRIu64 " misordered=%" PRIu64 " fwd_polls=%" PRIu64
	       " fps=%.0f cpu_s=%.3f",
	       sent, rep->rx, rep->forwarded, rep->tx_error, rep->fault_dropped, rep->traced, got,
	       sent - got - rep->fault_dropped, sent > rep->rx ? sent - rep->rx : 0,
	       rep->forwarded > got ? rep->forwarded - got : 0, atomic_load(&c.misordered),
	       rep->polls, fps(&c), cpu_secs() - cpu0);
	printf(" cpu_writer=%.3f cpu_fwd=%.3f cpu_reader=%.3f", c.cpu_writer, rep->cpu,
	       c.cpu_reader);
	printf(" fwd_io=%s fwd_uring_enters=%" PRIu64, rep->batched ? "io_uring" : "read+write",
	       rep->enters);
	printf(" pinned=%d node_rx_drops=%u node_tx=%s node_rx=%s\n", s.pin, ps.tp_drops,
	       s.batch_tx ? "sendmmsg" : "send", s.rx ? "rx_ring" : "recv");
	rc = 0;
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	for (int i = 0; i < 2; i++)
		if (stop[i] >= 0)
			close(stop[i]);
	if (sa >= 0)
		close(sa);
	if (sb >= 0)
		close(sb);
	if (rx.map)
		munmap(rx.map, rx.frames * rx.frame_size);
	tap_dev_destroy(&a);
	tap_dev_destroy(&b);
	tap_ns_destroy(&na);
	tap_ns_destroy(&nb);
	munmap(rep, sizeof(*rep));
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: tap_bench raw|raw_uring|harness FRAMES WINDOW [TRACE]\n");
		return 2;
	}
	uint64_t frames = strtoull(argv[2], NULL, 10), window = strtoull(argv[3], NULL, 10);
	if (frames == 0 || window == 0)
		return 2;
	if (strcmp(argv[1], "raw") == 0)
		return run_raw(frames, window, false);
	if (strcmp(argv[1], "raw_uring") == 0)
		return run_raw(frames, window, true);
	if (strcmp(argv[1], "harness") == 0 && argc >= 5)
		return run_harness(frames, window, argv[4]);
	fprintf(stderr, "tap_bench: unknown mode or missing TRACE\n");
	return 2;
}

#define _GNU_SOURCE /* setns, CLONE_NEWNET */
#include "sim/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto/err.h"
#include "sim/tap_ring.h"

extern char **environ;

enum { TAP_IP_ARGS = 16 };

static unsigned tap_ns_count, tap_dev_count;

int
tap_run_ip(const char *const *args)
{
	char *argv[TAP_IP_ARGS + 2];
	size_t n = 0;
	argv[n++] = (char *)"ip";
	for (; args[n - 1]; n++) {
		if (n > TAP_IP_ARGS)
			return RMC_EINVAL;
		argv[n] = (char *)args[n - 1];
	}
	argv[n] = NULL;
	pid_t pid;
	if (posix_spawnp(&pid, "ip", NULL, NULL, argv, environ) != 0)
		return RMC_EIO;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return RMC_EIO;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? RMC_OK : RMC_EIO;
}

/* Best effort: without IPv6 the link carries only what the test or node sends. */
static void
tap_ipv6_off(const char *ifname)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1) {
		/* an old kernel without IPv6: nothing to switch off */
	}
	close(fd);
}

int
tap_ns_create(struct tap_ns *ns, const char *prefix)
{
	ns->fd = -1;
	int n =
	    snprintf(ns->name, sizeof(ns->name), "%s-%d-%u", prefix, (int)getpid(), tap_ns_count++);
	if (n < 0 || (size_t)n >= sizeof(ns->name))
		return RMC_EINVAL;
	const char *add[] = {"netns", "add", ns->name, NULL};
	if (tap_run_ip(add) != RMC_OK)
		return RMC_EIO;
	char path[96];
	snprintf(path, sizeof(path), "/run/netns/%s", ns->name);
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0) {
		const char *del[] = {"netns", "del", ns->name, NULL};
		tap_run_ip(del);
		return RMC_EIO;
	}
	int back;
	if (tap_ns_enter(ns, &back) == RMC_OK) {
		tap_ipv6_off("all");
		tap_ipv6_off("default");
		if (tap_ns_leave(back) != RMC_OK) {
			tap_ns_destroy(ns);
			return RMC_EIO;
		}
	}
	return RMC_OK;
}

void
tap_ns_destroy(struct tap_ns *ns)
{
	if (!ns || ns->fd < 0)
		return;
	close(ns->fd);
	ns->fd = -1;
	const char *del[] = {"netns", "del", ns->name, NULL};
	tap_run_ip(del);
}

int
tap_ns_enter(const struct tap_ns *ns, int *back)
{
	*back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*back < 0)
		return RMC_EIO;
	if (setns(ns->fd, CLONE_NEWNET) != 0) {
		close(*back);
		*back = -1;
		return RMC_EIO;
	}
	return RMC_OK;
}

int
tap_ns_leave(int back)
{
	int rc = setns(back, CLONE_NEWNET) == 0 ? RMC_OK : RMC_EIO;
	close(back);
	return rc;
}

static int
tap_link_up(const char *ifname)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return RMC_EIO;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int rc = RMC_EIO;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) == 0)
			rc = RMC_OK;
	}
	close(s);
	return rc;
}

static int
tap_dev_open(struct tap_dev *d)
{
	d->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d->fd < 0)
		return RMC_EIO;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->ifname);
	if (ioctl(d->fd, TUNSETIFF, &ifr) != 0)
		return RMC_EIO;
	tap_ipv6_off(d->ifname);
	return tap_link_up(d->ifname);
}

int
tap_dev_create(struct tap_dev *d, const struct tap_ns *ns, const char *prefix)
{
	d->fd = -1;
	unsigned k = tap_dev_count++;
	char suffix[3] = {(char)('a' + k % 26), 0, 0};
	if (k >= 26)
		suffix[1] = (char)('a' + (k / 26) % 26);
	int n = snprintf(d->ifname, sizeof(d->ifname), "%s%d%s", prefix, (int)getpid(), suffix);
	if (n < 0 || (size_t)n >= sizeof(d->ifname))
		return RMC_EINVAL;
	int back = -1;
	if (ns && tap_ns_enter(ns, &back) != RMC_OK)
		return RMC_EIO;
	int rc = tap_dev_open(d);
	if (ns && tap_ns_leave(back) != RMC_OK)
		rc = RMC_EIO;
	if (rc != RMC_OK)
		tap_dev_destroy(d);
	return rc;
}

int
tap_dev_attach(struct tap_dev *d, const char *ifname)
{
	d->fd = -1;
	if (strlen(ifname) >= sizeof(d->ifname))
		return RMC_EINVAL;
	if (if_nametoindex(ifname) == 0)
		return RMC_ENOENT; /* TUNSETIFF would make a new one: attach only */
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	int rc = tap_dev_open(d);
	if (rc != RMC_OK)
		tap_dev_destroy(d);
	return rc;
}

void
tap_dev_destroy(struct tap_dev *d)
{
	if (!d || d->fd < 0)
		return;
	close(d->fd);
	d->fd = -1;
}

static int
tap_socket_bind(const char *ifname, uint16_t ethertype)
{
	uint16_t proto = htons(ethertype ? ethertype : ETH_P_ALL);
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (s < 0)
		return RMC_EIO;
	struct sockaddr_ll sll;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = proto;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		close(s);
		return RMC_EIO;
	}
	return s;
}

int
tap_node_socket(const struct tap_ns *ns, const char *ifname, uint16_t ethertype)
{
	int back = -1;
	if (ns && tap_ns_enter(ns, &back) != RMC_OK)
		return RMC_EIO;
	int s = tap_socket_bind(ifname, ethertype);
	if (ns && tap_ns_leave(back) != RMC_OK) {
		if (s >= 0)
			close(s);
		return RMC_EIO;
	}
	return s;
}

uint64_t
tap_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the forwarder ---- */

int
tap_fwd_init(struct tap_fwd *f, const int *fds, size_t nports, struct trace *trace)
{
	if (nports < 2 || nports > TAP_MAX_PORTS)
		return RMC_EINVAL;
	memset(f, 0, sizeof(*f));
	memcpy(f->fds, fds, nports * sizeof(*fds));
	f->nports = nports;
	f->trace = trace;
	return mac_table_init(&f->macs, nports);
}

void
tap_fwd_set_fate(struct tap_fwd *f, tap_fate_fn fate, void *ctx)
{
	f->fate = fate;
	f->fate_ctx = ctx;
}

void
tap_fwd_set_capture(struct tap_fwd *f, tap_capture_fn capture, void *ctx)
{
	f->capture = capture;
	f->capture_ctx = ctx;
}

int
tap_fwd_batch(struct tap_fwd *f)
{
	if (f->ring)
		return RMC_OK;
	f->ring = tap_ring_open(f);
	return f->ring ? RMC_OK : RMC_EIO;
}

void
tap_fwd_free(struct tap_fwd *f)
{
	if (!f)
		return;
	tap_ring_close(f->ring);
	f->ring = NULL;
	mac_table_fini(&f->macs);
}

void
tap_fwd_write(struct tap_fwd *f, size_t to, const uint8_t *p, size_t len)
{
	if (f->ring && f->in_drain) {
		int rc = tap_ring_queue(f->ring, f, to, p, len);
		if (rc != RMC_OK) {
			f->st[to].tx_error++;
			f->ring_error = rc;
		}
		return;
	}
	ssize_t w = write(f->fds[to], p, len);
	if (w == (ssize_t)len) {
		f->st[to].tx++;
		f->forwarded++;
	} else {
		f->st[to].tx_error++;
	}
}

static void
tap_send(struct tap_fwd *f, const uint8_t *p, uint64_t now, size_t from, size_t to, size_t len)
{
	if (!f->fate) {
		tap_fwd_write(f, to, p, len);
		return;
	}
	memcpy(f->scratch, p, len);
	if (f->fate(f->fate_ctx, now, f->frames, from, to, f->scratch, len))
		f->fault_dropped++;
}

static void
tap_frame(struct tap_fwd *f, const uint8_t *p, size_t from, size_t len)
{
	uint64_t now = tap_now_ns();
	f->frames++;
	f->st[from].rx++;
	if (f->trace)
		trace_write(f->trace, now, p, len);
	if (f->capture)
		f->capture(f->capture_ctx, now, f->frames, from, p, len);
	if (len < 14) {
		f->oversize++; /* runt: no Ethernet header to switch on */
		return;
	}
	mac_table_learn(&f->macs, p + 6, (uint32_t)from);
	long port = (p[0] & 1) ? -1 : mac_table_lookup(&f->macs, p);
	if (port >= 0) {
		if ((size_t)port != from)
			tap_send(f, p, now, from, (size_t)port, len);
		return;
	}
	f->flooded++;
	for (size_t to = 0; to < f->nports; to++)
		if (to != from)
			tap_send(f, p, now, from, to, len);
}

int
tap_fwd_inject(struct tap_fwd *f, size_t from, const uint8_t *p, size_t len)
{
	if (from >= f->nports || len > TAP_FRAME_MAX)
		return RMC_EINVAL;
	memcpy(f->buf, p, len); /* the fate's scratch copy must not alias the caller's frame */
	tap_frame(f, f->buf, from, len);
	return RMC_OK;
}

/* One drain through the ring: one enter for the reads, one for the writes. */
static int
tap_drain_ring(struct tap_fwd *f, size_t port)
{
	int32_t res[TAP_DRAIN_BUDGET];
	int rc = tap_ring_read(f->ring, port, TAP_DRAIN_BUDGET, res);
	f->ring_enters++;
	if (rc != RMC_OK)
		return rc;
	int n = 0;
	f->in_drain = true;
	f->ring_error = RMC_OK;
	for (unsigned i = 0; i < TAP_DRAIN_BUDGET; i++) {
		if (res[i] == -EAGAIN || res[i] == -EINTR)
			continue;
		if (res[i] < 0) {
			rc = RMC_EIO; /* after the drain: later slots may hold frames already taken
				       */
			continue;
		}
		/* read() on a TAP returns one frame; a longer one is cut to the buffer. */
		if ((size_t)res[i] == TAP_FRAME_MAX)
			f->oversize++;
		tap_frame(f, tap_ring_slot(f->ring, i), port, (size_t)res[i]);
		n++;
	}
	f->in_drain = false;
	int frc = tap_ring_flush(f->ring, f);
	f->ring_enters += n > 0; /* nothing read: nothing queued, no enter */
	if (rc == RMC_OK)
		rc = frc != RMC_OK ? frc : f->ring_error;
	return rc != RMC_OK ? rc : n;
}

int
tap_fwd_drain(struct tap_fwd *f, size_t port)
{
	if (f->ring)
		return tap_drain_ring(f, port);
	int n = 0;
	while (n < TAP_DRAIN_BUDGET) {
		ssize_t r = read(f->fds[port], f->buf, sizeof(f->buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return RMC_EIO;
		}
		/* read() on a TAP returns one frame; a longer one is cut to the buffer. */
		if ((size_t)r == sizeof(f->buf))
			f->oversize++;
		tap_frame(f, f->buf, port, (size_t)r);
		n++;
	}
	return n;
}

int
tap_fwd_step(struct tap_fwd *f, int timeout_ms, int stop_fd, bool *stop)
{
	struct pollfd pfd[TAP_MAX_PORTS + 1];
	for (size_t i = 0; i < f->nports; i++)
		pfd[i] = (struct pollfd){.fd = f->fds[i], .events = POLLIN};
	pfd[f->nports] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
	*stop = false;
	int r = poll(pfd, f->nports + 1, timeout_ms);
	f->polls++;
	if (r < 0)
		return errno == EINTR ? 0 : RMC_EIO;
	if (stop_fd >= 0 && pfd[f->nports].revents)
		*stop = true;
	int total = 0;
	for (size_t i = 0; i < f->nports; i++) {
		if (!(pfd[i].revents & POLLIN))
			continue;
		int n = tap_fwd_drain(f, i);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

int
tap_fwd_run(struct tap_fwd *f, int stop_fd)
{
	bool stop = false;
	while (!stop) {
		int n = tap_fwd_step(f, -1, stop_fd, &stop);
		if (n < 0)
			return n;
	}
	return RMC_OK;
}

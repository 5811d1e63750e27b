/*
 * rmcpsec_ike_peer: drives rmcpsec's IKEv2 endpoint (nodes/ike.h) over a real
 * UDP socket on port 500 and installs every CHILD_SA it negotiates into the
 * kernel's XFRM with `ip xfrm` (transport mode, UDP 664 both ways). Used by
 * tests/e2e/uml_ike_interop.sh inside a UML guest's network namespace,
 * against strongSwan's charon. A driver, not node code: the clock and the
 * socket live here only.
 *
 *   rmcpsec_ike_peer --initiate|--respond --local A --remote B --psk S
 *                    [--suite gcm|cbc]... [--pfs] [--seed N]
 *                    [--rekey-after SEC] [--ctl FIFO] [--exit-after SEC]
 *                    [--keys FILE] [--pcap FILE] [--no-xfrm]
 *
 * --ctl FIFO takes lines "rekey pfs", "rekey nopfs" (CHILD_SA rekey of the
 * newest child) and "quit". One line per event on stdout:
 *   ike-up SPIi SPIr | child-up SUITE in SPI out SPI [rekeyed SPI] |
 *   child-down in SPI | ike-rekeyed | ike-down | error EXCH NOTIFY
 * Exit status: 0 after --exit-after or "quit" with a CHILD_SA up, 1 on an
 * error event, a lost IKE SA or a failed `ip xfrm`, 2 on bad usage, 3 if no
 * CHILD_SA came up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nodes/ike.h"
#include "pcap/trace.h"

enum {
	PEER_PORT_IKE = 500,  /* RFC 7296 §2 */
	PEER_PORT_DATA = 664, /* the patent's RMCP+ port: the CHILD_SA's selector */
	PEER_MAX_INSTALLED = 16,
	PEER_FRAME_MAX = IKEV2_MSG_MAX + 42,
};

struct installed {
	bool used;
	uint32_t spi_in, spi_out;
};

struct peer {
	struct ike e;
	struct ike_out o;
	int fd, ctl;
	struct sockaddr_in remote;
	uint32_t local_addr, remote_addr;
	char local_s[INET_ADDRSTRLEN], remote_s[INET_ADDRSTRLEN];
	uint64_t seed, t0;
	bool xfrm, policies_in, child_seen, failed, quit;
	uint32_t newest_in;
	struct installed inst[PEER_MAX_INSTALLED];
	FILE *keys;
	struct trace *pcap;
	uint64_t timer_at; /* the endpoint's deadline, from its last answer */
	uint64_t rekey_at; /* ms since start; IKE_TIMER_NONE: none */
	bool rekey_pfs;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* splitmix64: SPIs, nonces and X25519 keys reproducible by --seed. */
static void
seeded_rand(void *ctx, uint8_t *buf, size_t n)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < n; i++) {
		uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		buf[i] = (uint8_t)(z ^ (z >> 31));
	}
}

static void
hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

/* Runs `ip xfrm ARGS` (argv, no shell); returns its exit status. */
static int
run_ip(char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp("ip", argv);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One direction of a CHILD_SA as a kernel state. */
static int
state_add(struct peer *p, const struct ike_child_sa *c, bool inbound)
{
	char spi[16], k1[2 * IKE_CHILD_KEY_MAX + 3] = "0x", k2[2 * 32 + 3] = "0x";
	const char *src = inbound ? p->remote_s : p->local_s,
		   *dst = inbound ? p->local_s : p->remote_s;
	snprintf(spi, sizeof(spi), "0x%08" PRIx32, inbound ? c->spi_in : c->spi_out);
	hex(k1 + 2, inbound ? c->encr_in : c->encr_out, c->encr_len);
	hex(k2 + 2, inbound ? c->integ_in : c->integ_out, c->integ_len);
	if (c->suite == IKE_SUITE_ESP_GCM128 || c->suite == IKE_SUITE_ESP_GCM256) {
		char *argv[] = {"ip",	 "xfrm",      "state", "add",
				"src",	 (char *)src, "dst",   (char *)dst,
				"proto", "esp",	      "spi",   spi,
				"mode",	 "transport", "aead",  "rfc4106(gcm(aes))",
				k1,	 "128",	      NULL};
		return run_ip(argv);
	}
	if (c->suite == IKE_SUITE_ESP_CBC_SHA256) {
		char *argv[] = {"ip",	     "xfrm", "state",	   "add",	   "src",
				(char *)src, "dst",  (char *)dst,  "proto",	   "esp",
				"spi",	     spi,    "mode",	   "transport",	   "enc",
				"cbc(aes)",  k1,     "auth-trunc", "hmac(sha256)", k2,
				"128",	     NULL};
		return run_ip(argv);
	}
	return -1;
}

static int
state_del(struct peer *p, uint32_t spi_v, bool inbound)
{
	char spi[16];
	snprintf(spi, sizeof(spi), "0x%08" PRIx32, spi_v);
	char *argv[] = {"ip",	 "xfrm",
			"state", "delete",
			"src",	 inbound ? p->remote_s : p->local_s,
			"dst",	 inbound ? p->local_s : p->remote_s,
			"proto", "esp",
			"spi",	 spi,
			NULL};
	return run_ip(argv);
}

/* UDP 664 to and from the peer must use ESP (level required). */
static int
policies_add(struct peer *p)
{
	static const char *const dirs[] = {"out", "in"};
	for (int i = 0; i < 2; i++) {
		bool in = i == 1;
		char *src = in ? p->remote_s : p->local_s, *dst = in ? p->local_s : p->remote_s;
		char *argv[] = {"ip",	     "xfrm", "policy", "add",		"src",	 src,
				"dst",	     dst,    "proto",  "udp",		"sport", "664",
				"dport",     "664",  "dir",    (char *)dirs[i], "tmpl",	 "src",
				src,	     "dst",  dst,      "proto",		"esp",	 "mode",
				"transport", NULL};
		if (run_ip(argv))
			return -1;
	}
	return 0;
}

static struct installed *
inst_find(struct peer *p, uint32_t spi_in)
{
	for (size_t i = 0; i < PEER_MAX_INSTALLED; i++)
		if (p->inst[i].used && p->inst[i].spi_in == spi_in)
			return &p->inst[i];
	return NULL;
}

static void
uninstall(struct peer *p, uint32_t spi_in)
{
	struct installed *s = inst_find(p, spi_in);
	if (!s)
		return;
	s->used = false;
	if (p->xfrm && (state_del(p, s->spi_in, true) || state_del(p, s->spi_out, false)))
		p->failed = true;
}

static void
install(struct peer *p, const struct ike_child_sa *c)
{
	struct installed *s = NULL;
	for (size_t i = 0; i < PEER_MAX_INSTALLED && !s; i++)
		if (!p->inst[i].used)
			s = &p->inst[i];
	if (!s) {
		p->failed = true;
		return;
	}
	*s = (struct installed){true, c->spi_in, c->spi_out};
	if (!p->xfrm)
		return;
	if (state_add(p, c, true) || state_add(p, c, false)) {
		fprintf(stderr, "ike_peer: ip xfrm state add failed\n");
		p->failed = true;
		return;
	}
	if (!p->policies_in) {
		if (policies_add(p)) {
			fprintf(stderr, "ike_peer: ip xfrm policy add failed\n");
			p->failed = true;
		}
		p->policies_in = true;
	}
}

static void
write_keys(struct peer *p)
{
	char line[512];
	if (!p->keys || ike_wireshark_line(&p->e, line, sizeof(line)))
		return;
	fprintf(p->keys, "%s\n", line);
	fflush(p->keys);
}

static void
on_event(struct peer *p, const struct ike_event *ev)
{
	const struct ike_child_sa *c = &ev->child;
	switch (ev->type) {
	case IKE_EV_IKE_UP:
		printf("ike-up %016" PRIx64 " %016" PRIx64 "\n", p->e.sa.spi_i, p->e.sa.spi_r);
		write_keys(p);
		break;
	case IKE_EV_IKE_REKEYED:
		printf("ike-rekeyed %016" PRIx64 " %016" PRIx64 "\n", p->e.sa.spi_i, p->e.sa.spi_r);
		write_keys(p);
		break;
	case IKE_EV_CHILD_UP:
		printf("child-up %s in %08" PRIx32 " out %08" PRIx32, ike_suite_name(c->suite),
		       c->spi_in, c->spi_out);
		if (ev->rekeyed_spi_in)
			printf(" rekeyed %08" PRIx32, ev->rekeyed_spi_in);
		printf("\n");
		install(p, c);
		if (ev->rekeyed_spi_in)
			uninstall(p, ev->rekeyed_spi_in);
		p->newest_in = c->spi_in;
		p->child_seen = true;
		break;
	case IKE_EV_CHILD_DOWN:
		printf("child-down in %08" PRIx32 "\n", c->spi_in);
		uninstall(p, c->spi_in);
		break;
	case IKE_EV_IKE_DOWN:
		printf("ike-down %u\n", ev->notify);
		p->failed = true;
		break;
	case IKE_EV_ERROR:
		printf("error exch %u notify %u\n", ev->exch, ev->notify);
		p->failed = true;
		break;
	}
	fflush(stdout);
}

static uint16_t
ip_csum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The datagram as an Ethernet/IPv4/UDP frame, for Wireshark. */
static void
pcap_dgram(struct peer *p, bool sent, const uint8_t *d, size_t len)
{
	uint8_t f[PEER_FRAME_MAX] = {0};
	if (!p->pcap || len > IKEV2_MSG_MAX)
		return;
	uint32_t src = htonl(sent ? p->local_addr : p->remote_addr);
	uint32_t dst = htonl(sent ? p->remote_addr : p->local_addr);
	f[5] = sent ? 1 : 2;
	f[11] = sent ? 2 : 1;
	f[12] = 0x08;
	uint8_t *ip = f + 14, *udp = ip + 20;
	size_t iplen = 28 + len;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	uint16_t cs = ip_csum(ip, 20);
	ip[10] = (uint8_t)(cs >> 8);
	ip[11] = (uint8_t)cs;
	udp[0] = udp[2] = PEER_PORT_IKE >> 8;
	udp[1] = udp[3] = PEER_PORT_IKE & 0xff;
	udp[4] = (uint8_t)((8 + len) >> 8);
	udp[5] = (uint8_t)(8 + len);
	memcpy(udp + 8, d, len);
	trace_write(p->pcap, (now_ms() - p->t0) * 1000000u, f, 42 + len);
}

static void
flush_out(struct peer *p)
{
	p->timer_at = p->o.timer_at;
	for (size_t i = 0; i < p->o.nmsg; i++) {
		if (sendto(p->fd, p->o.msg[i], p->o.len[i], 0, (struct sockaddr *)&p->remote,
			   sizeof(p->remote)) < 0)
			perror("ike_peer: sendto");
		pcap_dgram(p, true, p->o.msg[i], p->o.len[i]);
	}
	for (size_t i = 0; i < p->o.nev; i++)
		on_event(p, &p->o.ev[i]);
	if (p->o.dropped)
		p->failed = true;
}

static void
rekey(struct peer *p, bool pfs, uint64_t now)
{
	if (!p->newest_in) {
		fprintf(stderr, "ike_peer: no CHILD_SA to rekey\n");
		p->failed = true;
		return;
	}
	p->e.cfg.pfs = pfs;
	uint32_t spi = p->newest_in;
	ike_out_reset(&p->o);
	int rc = ike_rekey_child(&p->e, now, spi, &p->o);
	printf("rekey %08" PRIx32 " %s rc %d\n", spi, pfs ? "pfs" : "nopfs", rc);
	fflush(stdout);
	if (rc)
		p->failed = true;
	else
		flush_out(p);
}

static void
read_ctl(struct peer *p, uint64_t now)
{
	static char buf[256];
	static size_t have;
	ssize_t n = read(p->ctl, buf + have, sizeof(buf) - 1 - have);
	if (n <= 0)
		return;
	have += (size_t)n;
	char *nl;
	while ((nl = memchr(buf, '\n', have))) {
		*nl = 0;
		if (!strcmp(buf, "rekey pfs"))
			rekey(p, true, now);
		else if (!strcmp(buf, "rekey nopfs"))
			rekey(p, false, now);
		else if (!strcmp(buf, "quit"))
			p->quit = true;
		else
			fprintf(stderr, "ike_peer: unknown command '%s'\n", buf);
		size_t used = (size_t)(nl - buf) + 1;
		memmove(buf, nl + 1, have - used);
		have -= used;
	}
	if (have == sizeof(buf) - 1)
		have = 0;
}

static void
receive(struct peer *p, uint64_t now)
{
	uint8_t b[IKEV2_MSG_MAX];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(p->fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
	if (n < 0 || from.sin_addr.s_addr != p->remote.sin_addr.s_addr)
		return;
	pcap_dgram(p, false, b, (size_t)n);
	ike_out_reset(&p->o);
	ike_input(&p->e, now, b, (size_t)n, &p->o);
	flush_out(p);
}

static int
loop(struct peer *p, bool initiate, uint64_t exit_at)
{
	uint64_t now = now_ms() - p->t0;
	ike_out_reset(&p->o);
	if (initiate) {
		if (ike_start(&p->e, now, &p->o))
			return 1;
		flush_out(p);
	}
	while (!p->failed && !p->quit && now < exit_at) {
		uint64_t next = exit_at;
		if (p->timer_at < next)
			next = p->timer_at;
		if (p->child_seen && p->rekey_at < next)
			next = p->rekey_at;
		struct pollfd fds[2] = {{p->fd, POLLIN, 0}, {p->ctl, POLLIN, 0}};
		int wait = next > now ? (int)(next - now) : 0;
		if (poll(fds, p->ctl >= 0 ? 2 : 1, wait) < 0 && errno != EINTR)
			return 1;
		now = now_ms() - p->t0;
		if (fds[0].revents & POLLIN)
			receive(p, now);
		if (p->ctl >= 0 && (fds[1].revents & POLLIN))
			read_ctl(p, now);
		if (p->child_seen && now >= p->rekey_at) {
			p->rekey_at = IKE_TIMER_NONE;
			rekey(p, p->rekey_pfs, now);
		}
		if (p->timer_at != IKE_TIMER_NONE && now >= p->timer_at) {
			ike_out_reset(&p->o);
			ike_timer(&p->e, now, &p->o);
			flush_out(p);
		}
	}
	if (p->failed)
		return 1;
	return p->child_seen ? 0 : 3;
}

static int
open_socket(struct peer *p)
{
	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (p->fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PEER_PORT_IKE)};
	a.sin_addr.s_addr = htonl(p->local_addr);
	return bind(p->fd, (struct sockaddr *)&a, sizeof(a));
}

static enum ike_suite
suite_of(const char *s)
{
	if (!strcmp(s, "gcm"))
		return IKE_SUITE_ESP_GCM128;
	if (!strcmp(s, "gcm256"))
		return IKE_SUITE_ESP_GCM256;
	if (!strcmp(s, "cbc"))
		return IKE_SUITE_ESP_CBC_SHA256;
	return IKE_SUITE_NONE;
}

static int
usage(void)
{
	fprintf(stderr,
		"usage: rmcpsec_ike_peer --initiate|--respond --local A --remote B --psk S "
		"[--suite gcm|gcm256|cbc]... [--pfs] [--seed N] [--rekey-after SEC] "
		"[--ctl FIFO] [--exit-after SEC] [--keys FILE] [--pcap FILE] [--no-xfrm]\n");
	return 2;
}

static int
parse_addr(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct peer p;
	static const struct option opts[] = {{"initiate", no_argument, NULL, 'i'},
					     {"respond", no_argument, NULL, 'r'},
					     {"local", required_argument, NULL, 'l'},
					     {"remote", required_argument, NULL, 'R'},
					     {"psk", required_argument, NULL, 'k'},
					     {"suite", required_argument, NULL, 's'},
					     {"pfs", no_argument, NULL, 'p'},
					     {"seed", required_argument, NULL, 'S'},
					     {"rekey-after", required_argument, NULL, 'a'},
					     {"ctl", required_argument, NULL, 'c'},
					     {"exit-after", required_argument, NULL, 'x'},
					     {"keys", required_argument, NULL, 'K'},
					     {"pcap", required_argument, NULL, 'P'},
					     {"no-xfrm", no_argument, NULL, 'n'},
					     {NULL, 0, NULL, 0}};
	struct ike_cfg cfg = {.ts_proto = 17,
			      .ts_port = PEER_PORT_DATA,
			      .ike_keylen = 128,
			      .dh_group = IKEV2_DH_CURVE25519,
			      .retrans_base = 1000,
			      .retrans_tries = 4,
			      .rand_bytes = seeded_rand};
	int role = -1, opt, rc = 2;
	double exit_after = 60;
	const char *keys = NULL, *pcap = NULL, *ctl = NULL;
	char err[128];

	p.seed = 1;
	p.xfrm = true;
	p.ctl = -1;
	p.fd = -1;
	p.rekey_at = IKE_TIMER_NONE;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
		case 'r':
			role = opt == 'i';
			break;
		case 'l':
			if (parse_addr(optarg, &cfg.local_addr))
				return usage();
			break;
		case 'R':
			if (parse_addr(optarg, &cfg.peer_addr))
				return usage();
			break;
		case 'k':
			cfg.psk_len = strlen(optarg);
			if (cfg.psk_len > IKE_PSK_MAX)
				return usage();
			memcpy(cfg.psk, optarg, cfg.psk_len);
			break;
		case 's':
			if (cfg.nsuites == IKE_MAX_SUITES || !suite_of(optarg))
				return usage();
			cfg.suites[cfg.nsuites++] = suite_of(optarg);
			break;
		case 'p':
			cfg.pfs = true;
			break;
		case 'S':
			p.seed = strtoull(optarg, NULL, 0);
			break;
		case 'a':
			p.rekey_at = (uint64_t)(atof(optarg) * 1000);
			break;
		case 'c':
			ctl = optarg;
			break;
		case 'x':
			exit_after = atof(optarg);
			break;
		case 'K':
			keys = optarg;
			break;
		case 'P':
			pcap = optarg;
			break;
		case 'n':
			p.xfrm = false;
			break;
		default:
			return usage();
		}
	}
	if (role < 0 || !cfg.local_addr || !cfg.peer_addr || !cfg.psk_len)
		return usage();
	if (!cfg.nsuites)
		cfg.suites[cfg.nsuites++] = IKE_SUITE_ESP_GCM128;
	p.rekey_pfs = cfg.pfs;
	cfg.rand_ctx = &p.seed;
	p.local_addr = cfg.local_addr;
	p.remote_addr = cfg.peer_addr;
	p.remote = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(PEER_PORT_IKE)};
	p.remote.sin_addr.s_addr = htonl(cfg.peer_addr);
	struct in_addr la = {htonl(cfg.local_addr)};
	inet_ntop(AF_INET, &la, p.local_s, sizeof(p.local_s));
	inet_ntop(AF_INET, &p.remote.sin_addr, p.remote_s, sizeof(p.remote_s));

	rc = 1;
	if (ike_init(&p.e, &cfg))
		goto out;
	if (open_socket(&p)) {
		perror("ike_peer: socket on port 500");
		goto out;
	}
	if (ctl && (p.ctl = open(ctl, O_RDWR | O_NONBLOCK)) < 0) {
		perror("ike_peer: --ctl");
		goto out;
	}
	if (keys && !(p.keys = fopen(keys, "a"))) {
		perror("ike_peer: --keys");
		goto out;
	}
	if (pcap && !(p.pcap = trace_open(pcap, err, sizeof(err)))) {
		fprintf(stderr, "ike_peer: --pcap: %s\n", err);
		goto out;
	}
	p.t0 = now_ms();
	p.timer_at = IKE_TIMER_NONE;
	rc = loop(&p, role == 1, (uint64_t)(exit_after * 1000));
	printf("exit %d\n", rc);
out:
	if (p.pcap && trace_close(p.pcap))
		rc = 1;
	if (p.keys)
		fclose(p.keys);
	if (p.ctl >= 0)
		close(p.ctl);
	if (p.fd >= 0)
		close(p.fd);
	ike_free(&p.e);
	return rc;
}

/*
 * rmcpsec_ipsec_pkt: whole IPv4 packets sealed and opened with nothing but
 * our proto/ IPsec code, so that an independent peer (the Linux kernel in a
 * UML guest, tests/e2e/uml_rmcpsec_ipsec.sh) can check them and we can
 * check it. Packets are files of raw IPv4 bytes (no link header), one
 * packet per file, named NNN.ip by `seal`.
 *
 *   seal   SA... [--src A --dst B --sport P --dport P] [--seq N] --out DIR PAYLOAD...
 *          one UDP datagram per PAYLOAD (its text, as bytes), sealed with
 *          sequence numbers N, N+1, ... (default 1), written to DIR/001.ip ...
 *   open   SA... [--seq N] FILE...
 *          opens the files in order with one set of inbound SAs (so a
 *          repeated packet is a replay), prints per file
 *            "NAME ok SEQ SPORT DPORT HEXPAYLOAD" or "NAME fail CLASS" (truncated,
 *          invalid, bad_icv, unknown_spi, replay, too_old, ...)
 *          and then "stats esp|ah ok=.. truncated=.. bad_padding=.. bad_icv=..
 *          unknown_spi=.. replay=.. too_old=..". --seq N: the peer's first
 *          sequence number is N (the window starts just left of it, which
 *          an ESN receiver needs to infer the high half). Exit 0 only if
 *          every file opened.
 *   mutate [--seq N] [--flip K] SRC DST
 *          copies a packet, setting the outermost ESP/AH sequence number
 *          (low 32 bits) to N and/or flipping the low bit of the byte K
 *          bytes before the end (K = 1: the last byte).
 *
 * SA options: --esp-gcm KEYSALT (hex AES key then 4-byte salt, as Linux's
 * rfc4106(gcm(aes)) takes it) or --esp-cbc AESKEY:HMACKEY (hex), with
 * --esp-spi; --ah HMACKEY (hex) with --ah-spi and optionally --ah-align4;
 * ESP and AH together make the AH+ESP bundle (AH outside). --esn turns on
 * 64-bit sequence numbers, --window W sets the replay window.
 * Exit status: 0 success, 1 a packet failed to open, 2 usage or I/O error.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ah.h"
#include "proto/err.h"
#include "proto/esp.h"
#include "proto/rd.h"
#include "proto/replay.h"
#include "proto/sa.h"

enum {
	PKT_MAX = 65535,
	UDP_HLEN = 8,
	IPPROTO_UDP_NUM = 17,
	EXIT_BADPKT = 1,
	EXIT_USAGE = 2,
};

struct opts {
	bool have_esp, have_ah;
	struct sa_config esp, ah;
	uint64_t first_seq;
	uint32_t src, dst; /* network byte order */
	uint16_t sport, dport;
	const char *out_dir;
	bool set_seq;
	uint32_t new_seq;
	long flip;
};

struct sas {
	struct sa esp, ah;
	bool have_esp, have_ah;
};

static int
usage(void)
{
	fprintf(stderr, "usage: rmcpsec_ipsec_pkt seal|open|mutate [options] ... "
			"(see the comment at the top of tests/tools/ipsec_pkt.c)\n");
	return EXIT_USAGE;
}

static int
parse_hex(const char *s, size_t slen, uint8_t *out, size_t cap, size_t *outlen)
{
	size_t n = 0;

	if (slen % 2 || slen / 2 > cap)
		return -1;
	for (size_t i = 0; i < slen; i += 2) {
		char byte[3] = {s[i], s[i + 1], 0};
		char *end;
		unsigned long v = strtoul(byte, &end, 16);
		if (*end)
			return -1;
		out[n++] = (uint8_t)v;
	}
	*outlen = n;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	*v = strtoull(s, &end, 0);
	return *s && !*end ? 0 : -1;
}

/* KEYSALT: 20 or 36 bytes, the key material layout of RFC 4106 §8.1. */
static int
parse_esp_gcm(const char *s, struct sa_config *c)
{
	uint8_t buf[SA_KEY_MAX + SA_SALT_LEN];
	size_t n;

	if (parse_hex(s, strlen(s), buf, sizeof(buf), &n) || (n != 20 && n != 36))
		return -1;
	c->suite = SA_ESP_AES_GCM_16;
	c->enc_key_len = n - SA_SALT_LEN;
	memcpy(c->enc_key, buf, c->enc_key_len);
	memcpy(c->salt, buf + c->enc_key_len, SA_SALT_LEN);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static int
parse_esp_cbc(const char *s, struct sa_config *c)
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return -1;
	c->suite = SA_ESP_AES_CBC_HMAC_SHA256;
	if (parse_hex(s, (size_t)(colon - s), c->enc_key, sizeof(c->enc_key), &c->enc_key_len))
		return -1;
	return parse_hex(colon + 1, strlen(colon + 1), c->auth_key, sizeof(c->auth_key),
			 &c->auth_key_len);
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"esp-gcm", required_argument, NULL, 'g'}, {"esp-cbc", required_argument, NULL, 'c'},
	    {"esp-spi", required_argument, NULL, 'e'}, {"ah", required_argument, NULL, 'a'},
	    {"ah-spi", required_argument, NULL, 'h'},  {"ah-align4", no_argument, NULL, '4'},
	    {"esn", no_argument, NULL, 'n'},	       {"window", required_argument, NULL, 'w'},
	    {"seq", required_argument, NULL, 'q'},     {"src", required_argument, NULL, 's'},
	    {"dst", required_argument, NULL, 'd'},     {"sport", required_argument, NULL, 'S'},
	    {"dport", required_argument, NULL, 'D'},   {"out", required_argument, NULL, 'o'},
	    {"flip", required_argument, NULL, 'f'},    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int ch;

	inet_pton(AF_INET, "192.0.2.1", &o->src);
	inet_pton(AF_INET, "192.0.2.2", &o->dst);
	o->sport = 40664;
	o->dport = 664;
	o->first_seq = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int bad = 0;
		switch (ch) {
		case 'g':
			bad = parse_esp_gcm(optarg, &o->esp);
			o->have_esp = true;
			break;
		case 'c':
			bad = parse_esp_cbc(optarg, &o->esp);
			o->have_esp = true;
			break;
		case 'e':
			bad = parse_u64(optarg, &v) || v > UINT32_MAX;
			o->esp.spi = (uint32_t)v;
			break;
		case 'a':
			o->ah.suite = SA_AH_HMAC_SHA256;
			bad = parse_hex(optarg, strlen(optarg), o->ah.auth_key,
					sizeof(o->ah.auth_key), &o->ah.auth_key_len);
			o->have_ah = true;
			break;
		case 'h':
			bad = parse_u64(optarg, &v) || v > UINT32_MAX;
			o->ah.spi = (uint32_t)v;
			break;
		case '4':
			o->ah.ah_align4 = true;
			break;
		case 'n':
			o->esp.esn = o->ah.esn = true;
			break;
		case 'w':
			bad = parse_u64(optarg, &v) || v > REPLAY_WINDOW_MAX;
			o->esp.replay_window = o->ah.replay_window = (uint32_t)v;
			break;
		case 'q':
			bad = parse_u64(optarg, &o->first_seq) || o->first_seq == 0;
			o->set_seq = true;
			o->new_seq = (uint32_t)o->first_seq;
			break;
		case 's':
			bad = inet_pton(AF_INET, optarg, &o->src) != 1;
			break;
		case 'd':
			bad = inet_pton(AF_INET, optarg, &o->dst) != 1;
			break;
		case 'S':
		case 'D':
			bad = parse_u64(optarg, &v) || v > UINT16_MAX;
			*(ch == 'S' ? &o->sport : &o->dport) = (uint16_t)v;
			break;
		case 'o':
			o->out_dir = optarg;
			break;
		case 'f':
			o->flip = strtol(optarg, NULL, 0);
			bad = o->flip <= 0;
			break;
		default:
			bad = 1;
		}
		if (bad) {
			fprintf(stderr, "rmcpsec_ipsec_pkt: bad option %s\n", argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

static int
sas_init(struct sas *s, const struct opts *o, enum sa_dir dir)
{
	memset(s, 0, sizeof(*s));
	if (!o->have_esp && !o->have_ah) {
		fprintf(stderr, "rmcpsec_ipsec_pkt: give --esp-gcm, --esp-cbc and/or --ah\n");
		return -1;
	}
	if (o->have_esp && sa_init(&s->esp, &o->esp, dir)) {
		fprintf(stderr, "rmcpsec_ipsec_pkt: ESP SA refused (key length, SPI >= 256?)\n");
		return -1;
	}
	s->have_esp = o->have_esp;
	if (o->have_ah && sa_init(&s->ah, &o->ah, dir)) {
		fprintf(stderr, "rmcpsec_ipsec_pkt: AH SA refused (key length, SPI >= 256?)\n");
		return -1;
	}
	s->have_ah = o->have_ah;
	return 0;
}

static void
sas_clear(struct sas *s)
{
	if (s->have_esp)
		sa_clear(&s->esp);
	if (s->have_ah)
		sa_clear(&s->ah);
}

/* RFC 1071 sum over len bytes, added to sum. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len % 2)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* IPv4 | UDP with both checksums (RFC 768: the pseudo header counts). */
static size_t
build_udp(const struct opts *o, uint16_t id, const char *text, uint8_t *buf)
{
	size_t plen = strlen(text), udp_len = UDP_HLEN + plen;
	uint8_t *udp = buf + IPV4_HLEN;
	uint8_t pseudo[12];
	uint32_t sum;
	uint16_t c;

	memset(buf, 0, IPV4_HLEN);
	buf[0] = 0x45;
	put_be16(buf + 4, id);
	buf[8] = 64;
	memcpy(buf + 12, &o->src, 4);
	memcpy(buf + 16, &o->dst, 4);
	put_be16(udp, o->sport);
	put_be16(udp + 2, o->dport);
	put_be16(udp + 4, (uint16_t)udp_len);
	put_be16(udp + 6, 0);
	memcpy(udp + UDP_HLEN, text, plen);
	memcpy(pseudo, buf + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP_NUM;
	put_be16(pseudo + 10, (uint16_t)udp_len);
	sum = csum_add(csum_add(0, pseudo, sizeof(pseudo)), udp, udp_len);
	c = csum_fold(sum);
	put_be16(udp + 6, c ? c : 0xffff);
	ipsec_ipv4_rewrite(buf, IPPROTO_UDP_NUM, IPV4_HLEN + udp_len);
	return IPV4_HLEN + udp_len;
}

static int
write_file(const char *path, const uint8_t *p, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (!f || fwrite(p, 1, len, f) != len)
		rc = -1;
	if (f && fclose(f))
		rc = -1;
	if (rc)
		perror(path);
	return rc;
}

static int
read_file(const char *path, uint8_t *p, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return -1;
	}
	*len = fread(p, 1, cap, f);
	fclose(f);
	return 0;
}

static int
seal_one(struct sas *s, const uint8_t *ip, size_t len, uint8_t *out, size_t *outlen)
{
	if (s->have_esp && s->have_ah)
		return ipsec_bundle_seal_ipv4(&s->ah, &s->esp, ip, len, out, PKT_MAX, outlen);
	if (s->have_esp)
		return esp_seal_ipv4(&s->esp, ip, len, out, PKT_MAX, outlen);
	return ah_seal_ipv4(&s->ah, ip, len, out, PKT_MAX, outlen);
}

static int
cmd_seal(const struct opts *o, int n, char **payloads)
{
	static uint8_t ip[PKT_MAX], out[PKT_MAX];
	struct sas s;
	int rc = EXIT_USAGE;

	if (!o->out_dir || n == 0)
		return usage();
	if (sas_init(&s, o, SA_DIR_OUT))
		goto out;
	s.esp.seq = s.ah.seq = o->first_seq - 1; /* the last one "sent" */
	for (int i = 0; i < n; i++) {
		char path[4096];
		size_t len, outlen;
		int err;

		if (strlen(payloads[i]) > 1400) {
			fprintf(stderr, "rmcpsec_ipsec_pkt: payload %d too long\n", i + 1);
			goto out;
		}
		len = build_udp(o, (uint16_t)(i + 1), payloads[i], ip);
		err = seal_one(&s, ip, len, out, &outlen);
		if (err) {
			fprintf(stderr, "rmcpsec_ipsec_pkt: seal: %s\n", rmc_strerror(err));
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%03d.ip", o->out_dir, i + 1);
		if (write_file(path, out, outlen))
			goto out;
	}
	rc = 0;
out:
	sas_clear(&s);
	return rc;
}

/* The outermost header's sequence number, as the matching inbound SA will take it. */
static uint64_t
outer_seq(struct sas *s, const uint8_t *ip, size_t len)
{
	struct sa *sa = s->have_ah ? &s->ah : &s->esp;
	size_t at = IPV4_HLEN + (s->have_ah ? 8 : 4);
	uint32_t low;
	uint64_t seq;

	if (len < at + 4)
		return 0;
	low = get_be32(ip + at);
	if (!sa->cfg.esn || replay_infer(&sa->replay, low, &seq))
		return low;
	return seq;
}

static int
open_one(struct sas *s, const uint8_t *ip, size_t len, uint8_t *out, size_t *outlen)
{
	if (s->have_esp && s->have_ah)
		return ipsec_bundle_open_ipv4(&s->ah, &s->esp, ip, len, out, PKT_MAX, outlen);
	if (s->have_esp)
		return esp_open_ipv4(&s->esp, ip, len, out, PKT_MAX, outlen);
	return ah_open_ipv4(&s->ah, ip, len, out, PKT_MAX, outlen);
}

static const char *
err_class(int err)
{
	switch (err) {
	case RMC_ETRUNC:
		return "truncated";
	case RMC_EINVAL:
		return "invalid"; /* bad padding, or not the expected protocol */
	case RMC_ECRYPTO:
		return "bad_icv";
	case RMC_ENOENT:
		return "unknown_spi";
	case RMC_EREPLAY:
		return "replay";
	case RMC_ETOOOLD:
		return "too_old";
	default:
		return rmc_strerror(err);
	}
}

/* Prints the UDP datagram inside an opened packet; -1 if it is not one. */
static int
print_udp(const char *name, uint64_t seq, const uint8_t *ip, size_t len)
{
	const uint8_t *udp = ip + IPV4_HLEN;
	size_t ulen;

	if (len < IPV4_HLEN + UDP_HLEN || ip[9] != IPPROTO_UDP_NUM)
		return -1;
	ulen = get_be16(udp + 4);
	if (ulen < UDP_HLEN || ulen > len - IPV4_HLEN)
		return -1;
	printf("%s ok %" PRIu64 " %u %u ", name, seq, get_be16(udp), get_be16(udp + 2));
	for (size_t i = UDP_HLEN; i < ulen; i++)
		printf("%02x", udp[i]);
	printf("\n");
	return 0;
}

static void
print_stats(const char *what, const struct ipsec_stats *st)
{
	printf("stats %s ok=%" PRIu64 " truncated=%" PRIu64 " bad_padding=%" PRIu64
	       " bad_icv=%" PRIu64 " unknown_spi=%" PRIu64 " replay=%" PRIu64 " too_old=%" PRIu64
	       "\n",
	       what, st->ok, st->truncated, st->bad_padding, st->bad_icv, st->unknown_spi,
	       st->replay, st->too_old);
}

static int
cmd_open(const struct opts *o, int n, char **files)
{
	static uint8_t ip[PKT_MAX], out[PKT_MAX];
	struct sas s;
	int rc = EXIT_USAGE, bad = 0;

	if (n == 0)
		return usage();
	if (sas_init(&s, o, SA_DIR_IN))
		goto out;
	if (o->first_seq > 1) {
		/* as if the peer's previous packet had arrived */
		if (s.have_esp)
			replay_update(&s.esp.replay, o->first_seq - 1);
		if (s.have_ah)
			replay_update(&s.ah.replay, o->first_seq - 1);
	}
	for (int i = 0; i < n; i++) {
		const char *name = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
		size_t len, outlen;
		uint64_t seq;
		int err;

		if (read_file(files[i], ip, sizeof(ip), &len))
			goto out;
		seq = outer_seq(&s, ip, len);
		err = open_one(&s, ip, len, out, &outlen);
		if (err) {
			printf("%s fail %s\n", name, err_class(err));
			bad = 1;
		} else if (print_udp(name, seq, out, outlen)) {
			printf("%s fail not-udp\n", name);
			bad = 1;
		}
	}
	if (s.have_esp)
		print_stats("esp", &s.esp.stats);
	if (s.have_ah)
		print_stats("ah", &s.ah.stats);
	rc = bad ? EXIT_BADPKT : 0;
out:
	sas_clear(&s);
	return rc;
}

static int
cmd_mutate(const struct opts *o, int n, char **files)
{
	static uint8_t ip[PKT_MAX];
	size_t len, at;

	if (n != 2 || read_file(files[0], ip, sizeof(ip), &len))
		return usage();
	if (len < IPV4_HLEN + 12 || (ip[9] != SA_PROTO_ESP && ip[9] != SA_PROTO_AH)) {
		fprintf(stderr, "rmcpsec_ipsec_pkt: %s is not IPv4 ESP or AH\n", files[0]);
		return EXIT_USAGE;
	}
	at = (size_t)(ip[0] & 0x0f) * 4 + (ip[9] == SA_PROTO_ESP ? 4 : 8);
	if (at + 4 > len || (size_t)o->flip > len) {
		fprintf(stderr, "rmcpsec_ipsec_pkt: %s too short\n", files[0]);
		return EXIT_USAGE;
	}
	if (o->set_seq)
		put_be32(ip + at, o->new_seq);
	if (o->flip)
		ip[len - (size_t)o->flip] ^= 0x01;
	return write_file(files[1], ip, len) ? EXIT_USAGE : 0;
}

int
main(int argc, char **argv)
{
	struct opts o = {0};
	const char *cmd;
	int rc;

	if (argc < 2)
		return usage();
	cmd = argv[1];
	if (parse_opts(argc - 1, argv + 1, &o))
		return usage();
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(cmd, "seal"))
		rc = cmd_seal(&o, argc, argv);
	else if (!strcmp(cmd, "open"))
		rc = cmd_open(&o, argc, argv);
	else if (!strcmp(cmd, "mutate"))
		rc = cmd_mutate(&o, argc, argv);
	else
		rc = usage();
	explicit_bzero(&o, sizeof(o));
	fflush(stdout);
	return rc;
}

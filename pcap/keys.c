#include "pcap/keys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/err.h"

/* The algorithm names of Wireshark's esp_sa UAT, read and written. */
static const char ENC_GCM16[] = "AES-GCM with 16 octet ICV [RFC4106]";
static const char ENC_CBC[] = "AES-CBC [RFC3602]";
static const char AUTH_SHA256[] = "HMAC-SHA-256-128 [RFC4868]";
static const char ALG_NULL[] = "NULL";

enum {
	KEYS_NFIELDS = 8,
	KEYS_FIELD_MAX = 160,
	KEYS_LINE_MAX = 1024,
};

struct fields {
	char f[KEYS_NFIELDS][KEYS_FIELD_MAX];
};

/* "a","b",... -> fields; each field quoted, no escapes (none of ours needs one). */
static int
split_csv(const char *s, struct fields *out, const char **why)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (n == KEYS_NFIELDS) {
			*why = "more than 8 fields";
			return RMC_EINVAL;
		}
		if (*s++ != '"') {
			*why = "a field is not quoted";
			return RMC_EINVAL;
		}
		const char *end = strchr(s, '"');
		if (!end) {
			*why = "unterminated quote";
			return RMC_EINVAL;
		}
		if ((size_t)(end - s) >= KEYS_FIELD_MAX) {
			*why = "field too long";
			return RMC_EINVAL;
		}
		memcpy(out->f[n], s, (size_t)(end - s));
		out->f[n][end - s] = '\0';
		n++;
		s = end + 1;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == '\0' || *s == '\n' || *s == '\r')
			break;
		*why = "junk after a field";
		return RMC_EINVAL;
	}
	if (n != KEYS_NFIELDS) {
		*why = "fewer than 8 fields";
		return RMC_EINVAL;
	}
	return RMC_OK;
}

static int
parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) % 2)
		return RMC_EINVAL;
	for (; *s; s += 2) {
		char b[3] = {s[0], s[1], '\0'};
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) || n == cap)
			return RMC_EINVAL;
		out[n++] = (uint8_t)strtoul(b, NULL, 16);
	}
	*len = n;
	return RMC_OK;
}

static int
parse_addr(const char *s, uint32_t *a, bool *any)
{
	struct in_addr in;

	*any = strcmp(s, "*") == 0;
	*a = 0;
	if (*any)
		return RMC_OK;
	if (inet_pton(AF_INET, s, &in) != 1)
		return RMC_EINVAL;
	*a = ntohl(in.s_addr);
	return RMC_OK;
}

static int
parse_spi(const char *s, uint32_t *spi)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return RMC_EINVAL;
	v = strtoull(s, &end, 0);
	if (*end || v > UINT32_MAX)
		return RMC_EINVAL;
	*spi = (uint32_t)v;
	return RMC_OK;
}

/* Columns 5-8 to a suite and keys. */
static int
parse_suite(bool ah, const struct fields *fl, struct sa_config *c, const char **why)
{
	uint8_t k[SA_KEY_MAX + SA_SALT_LEN];
	size_t kl = 0;
	int rc = RMC_EINVAL;

	if (ah) {
		c->suite = SA_AH_HMAC_SHA256;
		if (strcmp(fl->f[4], ALG_NULL) != 0 || fl->f[5][0] != '\0')
			*why = "an AH SA has encryption \"NULL\" and key \"\"";
		else if (strcmp(fl->f[6], AUTH_SHA256) != 0)
			*why = "unsupported authentication algorithm";
		else if (parse_hex(fl->f[7], c->auth_key, sizeof(c->auth_key), &c->auth_key_len))
			*why = "bad authentication key";
		else
			rc = RMC_OK;
		return rc;
	}
	if (strcmp(fl->f[4], ENC_GCM16) == 0) {
		c->suite = SA_ESP_AES_GCM_16;
		if (parse_hex(fl->f[5], k, sizeof(k), &kl) || kl <= SA_SALT_LEN) {
			*why = "bad encryption key (want 0x key || 4-byte salt)";
			goto out;
		}
		c->enc_key_len = kl - SA_SALT_LEN;
		memcpy(c->enc_key, k, c->enc_key_len);
		memcpy(c->salt, k + c->enc_key_len, SA_SALT_LEN);
		if (strcmp(fl->f[6], ALG_NULL) != 0 || fl->f[7][0] != '\0') {
			*why = "AES-GCM takes authentication \"NULL\" and key \"\"";
			goto out;
		}
	} else if (strcmp(fl->f[4], ENC_CBC) == 0) {
		c->suite = SA_ESP_AES_CBC_HMAC_SHA256;
		if (parse_hex(fl->f[5], c->enc_key, sizeof(c->enc_key), &c->enc_key_len)) {
			*why = "bad encryption key";
			goto out;
		}
		if (strcmp(fl->f[6], AUTH_SHA256) != 0) {
			*why = "unsupported authentication algorithm";
			goto out;
		}
		if (parse_hex(fl->f[7], c->auth_key, sizeof(c->auth_key), &c->auth_key_len)) {
			*why = "bad authentication key";
			goto out;
		}
	} else {
		*why = "unsupported encryption algorithm";
		goto out;
	}
	rc = RMC_OK;
out:
	explicit_bzero(k, sizeof(k));
	return rc;
}

static uint32_t
key_id_of(struct keyring *kr, const struct sa_config *c)
{
	for (size_t i = 0; i < kr->n; i++) {
		const struct sa_config *o = &kr->sa[i].sa.cfg;
		if (o->suite == c->suite && o->enc_key_len == c->enc_key_len &&
		    memcmp(o->enc_key, c->enc_key, c->enc_key_len) == 0 &&
		    memcmp(o->salt, c->salt, SA_SALT_LEN) == 0)
			return kr->sa[i].key_id;
	}
	return kr->next_key_id++;
}

static int
grow(struct keyring *kr)
{
	size_t cap = kr->cap ? kr->cap * 2 : 16;
	struct key_sa *p;

	if (kr->n < kr->cap)
		return RMC_OK;
	if (!(p = realloc(kr->sa, cap * sizeof(*p))))
		return RMC_ENOMEM;
	kr->sa = p;
	kr->cap = cap;
	return RMC_OK;
}

static int
parse_line(const struct fields *fl, struct key_sa *k, const char **why)
{
	bool ah = strcmp(fl->f[0], "AH-IPv4") == 0;

	if (!ah && strcmp(fl->f[0], "IPv4") != 0) {
		*why = "protocol is not \"IPv4\" or \"AH-IPv4\"";
		return RMC_EUNSUP;
	}
	if (parse_addr(fl->f[1], &k->src, &k->src_any) ||
	    parse_addr(fl->f[2], &k->dst, &k->dst_any)) {
		*why = "bad IPv4 address";
		return RMC_EINVAL;
	}
	if (parse_spi(fl->f[3], &k->sa.cfg.spi)) {
		*why = "bad SPI";
		return RMC_EINVAL;
	}
	return parse_suite(ah, fl, &k->sa.cfg, why);
}

int
keyring_add_line(struct keyring *kr, const char *line, unsigned lineno, char *err, size_t errlen)
{
	struct fields *fl = NULL;
	struct key_sa k;
	const char *why = "";
	int rc;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line == '#' || *line == '\0' || *line == '\n' || *line == '\r')
		return RMC_OK;
	memset(&k, 0, sizeof(k));
	k.line = lineno;
	if (!(fl = calloc(1, sizeof(*fl)))) {
		why = "out of memory";
		rc = RMC_ENOMEM;
		goto out;
	}
	if ((rc = split_csv(line, fl, &why)) || (rc = parse_line(fl, &k, &why)))
		goto out;
	if ((rc = grow(kr))) {
		why = "out of memory";
		goto out;
	}
	k.key_id = key_id_of(kr, &k.sa.cfg);
	struct sa_config cfg = k.sa.cfg;
	rc = sa_init(&k.sa, &cfg, SA_DIR_IN);
	explicit_bzero(&cfg, sizeof(cfg));
	if (rc) {
		why = "key lengths do not fit the suite, or SPI below 256";
		goto out;
	}
	kr->sa[kr->n++] = k;
	memset(&k, 0, sizeof(k)); /* now owned by the ring */
out:
	if (rc)
		snprintf(err, errlen, "line %u: %s", lineno, why);
	if (fl) {
		explicit_bzero(fl, sizeof(*fl));
		free(fl);
	}
	explicit_bzero(&k.sa.cfg, sizeof(k.sa.cfg));
	return rc;
}

int
keyring_load(struct keyring *kr, const char *path, char *err, size_t errlen)
{
	char line[KEYS_LINE_MAX], why[200];
	unsigned no = 0;
	int rc = RMC_OK;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return RMC_EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		no++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s: line %u: longer than %d bytes", path, no,
				 KEYS_LINE_MAX - 1);
			rc = RMC_EINVAL;
			break;
		}
		if ((rc = keyring_add_line(kr, line, no, why, sizeof(why)))) {
			snprintf(err, errlen, "%s: %s", path, why);
			break;
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

int
keyring_load_beside(struct keyring *kr, const char *trace_path, char *err, size_t errlen)
{
	static const char *names[] = {"esp_sa", "ah_sa"};
	const char *slash = strrchr(trace_path, '/');
	int dirlen = slash ? (int)(slash - trace_path) : 1;
	const char *dir = slash ? trace_path : ".";
	char path[4096];
	int rc;

	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%.*s/%s", dirlen, dir, names[i]);
		if (access(path, F_OK) != 0)
			continue;
		if ((rc = keyring_load(kr, path, err, errlen)))
			return rc;
	}
	return RMC_OK;
}

static bool
addr_match(bool any, uint32_t want, uint32_t a)
{
	return any || want == a;
}

struct key_sa *
keyring_find(struct keyring *kr, enum sa_proto proto, uint32_t spi, uint32_t src, uint32_t dst)
{
	for (size_t i = 0; i < kr->n; i++) {
		struct key_sa *k = &kr->sa[i];
		if (k->sa.cfg.spi == spi && sa_proto(&k->sa) == proto &&
		    addr_match(k->src_any, k->src, src) && addr_match(k->dst_any, k->dst, dst))
			return k;
	}
	return NULL;
}

void
keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->n; i++)
		sa_clear(&kr->sa[i].sa);
	free(kr->sa);
	memset(kr, 0, sizeof(*kr));
}

/*
 * The eight columns of one line: names, and keys as bytes (a length of 0
 * writes the column as "").
 */
struct line_cols {
	const char *proto, *enc, *auth;
	uint8_t ek[SA_KEY_MAX + SA_SALT_LEN], ak[SA_KEY_MAX];
	size_t ekl, akl;
};

/* "0x" and the bytes in hex, or "" for none; out has room for 2 * n + 3. */
static void
hex_column(char *out, const uint8_t *p, size_t n)
{
	out[0] = '\0';
	if (n == 0)
		return;
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 + 2 * i, 3, "%02x", p[i]);
}

static void
addr_str(uint32_t host, char s[INET_ADDRSTRLEN])
{
	struct in_addr a = {.s_addr = htonl(host)};
	inet_ntop(AF_INET, &a, s, INET_ADDRSTRLEN);
}

static int
put_line(const struct line_cols *c, uint32_t spi, uint32_t src, uint32_t dst, char *buf, size_t cap)
{
	char ekx[2 * sizeof(c->ek) + 3], akx[2 * sizeof(c->ak) + 3];
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	int n;

	hex_column(ekx, c->ek, c->ekl);
	hex_column(akx, c->ak, c->akl);
	addr_str(src, s);
	addr_str(dst, d);
	n = snprintf(buf, cap, "\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"%s\",\"%s\",\"%s\"\n",
		     c->proto, s, d, spi, c->enc, ekx, c->auth, akx);
	explicit_bzero(ekx, sizeof(ekx));
	explicit_bzero(akx, sizeof(akx));
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			explicit_bzero(buf, cap);
		return RMC_ENOSPC;
	}
	return n;
}

int
keys_esp_line(const struct sa *sa, uint32_t src, uint32_t dst, char *buf, size_t cap)
{
	const struct sa_config *k = &sa->cfg;
	struct line_cols c = {.proto = "IPv4"};
	int n;

	if (sa_proto(sa) != SA_PROTO_ESP)
		return RMC_EINVAL;
	memcpy(c.ek, k->enc_key, k->enc_key_len);
	c.ekl = k->enc_key_len;
	if (k->suite == SA_ESP_AES_GCM_16) {
		/* Wireshark takes the GCM key as key || salt (RFC 4106 §8.1 KEYMAT). */
		memcpy(c.ek + c.ekl, k->salt, SA_SALT_LEN);
		c.ekl += SA_SALT_LEN;
		c.enc = ENC_GCM16;
		c.auth = ALG_NULL;
	} else {
		c.enc = ENC_CBC;
		c.auth = AUTH_SHA256;
		memcpy(c.ak, k->auth_key, k->auth_key_len);
		c.akl = k->auth_key_len;
	}
	n = put_line(&c, k->spi, src, dst, buf, cap);
	explicit_bzero(&c, sizeof(c));
	return n;
}

int
keys_ah_line(const struct sa *sa, uint32_t src, uint32_t dst, char *buf, size_t cap)
{
	const struct sa_config *k = &sa->cfg;
	struct line_cols c = {.proto = "AH-IPv4", .enc = ALG_NULL, .auth = AUTH_SHA256};
	int n;

	if (sa_proto(sa) != SA_PROTO_AH)
		return RMC_EINVAL;
	memcpy(c.ak, k->auth_key, k->auth_key_len);
	c.akl = k->auth_key_len;
	n = put_line(&c, k->spi, src, dst, buf, cap);
	explicit_bzero(&c, sizeof(c));
	return n;
}

int
keys_sa_line(const struct sa *sa, uint32_t src, uint32_t dst, char *buf, size_t cap)
{
	return sa_proto(sa) == SA_PROTO_AH ? keys_ah_line(sa, src, dst, buf, cap)
					   : keys_esp_line(sa, src, dst, buf, cap);
}

/* A key file being written; stdio buffers into ours, so that the keys it held can be wiped. */
struct key_file {
	FILE *f;
	char buf[BUFSIZ];
};

static int
key_file_open(struct key_file *kf, const char *path, char *err, size_t errlen)
{
	if (!(kf->f = fopen(path, "w"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return RMC_EIO;
	}
	setvbuf(kf->f, kf->buf, _IOFBF, sizeof(kf->buf));
	return RMC_OK;
}

/* Closes and wipes; written: every line went out. */
static int
key_file_close(struct key_file *kf, const char *path, bool written, char *err, size_t errlen)
{
	bool closed = fclose(kf->f) == 0;

	explicit_bzero(kf->buf, sizeof(kf->buf));
	if (!closed || !written) {
		snprintf(err, errlen, "%s: cannot write the keys", path);
		return RMC_EIO;
	}
	return RMC_OK;
}

int
keys_write_sa_file(const char *path, const struct key_line *v, size_t n, char *err, size_t errlen)
{
	struct key_file kf;
	char line[KEYS_LINE_MAX];
	bool written = true;
	int rc;

	if ((rc = key_file_open(&kf, path, err, errlen)))
		return rc;
	for (size_t i = 0; written && i < n; i++)
		written = keys_sa_line(v[i].sa, v[i].src, v[i].dst, line, sizeof(line)) > 0 &&
			  fputs(line, kf.f) != EOF;
	explicit_bzero(line, sizeof(line));
	return key_file_close(&kf, path, written, err, errlen);
}

int
keys_write_ike_table(const char *path, const char *const *lines, size_t n, char *err, size_t errlen)
{
	struct key_file kf;
	bool written = true;
	int rc;

	if ((rc = key_file_open(&kf, path, err, errlen)))
		return rc;
	for (size_t i = 0; written && i < n; i++)
		written = fputs(lines[i], kf.f) != EOF && fputc('\n', kf.f) != EOF;
	return key_file_close(&kf, path, written, err, errlen);
}

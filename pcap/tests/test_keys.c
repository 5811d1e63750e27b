/*
 * Key files: each line form byte for byte; what keys_esp_line and
 * keys_ah_line write is read back into SAs with the same keys (each suite,
 * 128- and 256-bit); the writers' files, in order, and their errors naming
 * the path; every malformed line class is refused with its line number.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pcap/keys.h"
#include "proto/err.h"

static struct sa_config
config(enum sa_suite suite, size_t keylen, uint32_t spi)
{
	struct sa_config c = {0};

	c.spi = spi;
	c.suite = suite;
	if (suite != SA_AH_HMAC_SHA256) {
		c.enc_key_len = keylen;
		for (size_t i = 0; i < keylen; i++)
			c.enc_key[i] = (uint8_t)(0x10 + i);
		memcpy(c.salt, "\xca\xfe\xba\xbe", 4);
	}
	if (suite != SA_ESP_AES_GCM_16) {
		c.auth_key_len = 32;
		for (size_t i = 0; i < 32; i++)
			c.auth_key[i] = (uint8_t)(0xa0 + i);
	}
	return c;
}

Test(keys, esp_line_form)
{
	struct sa_config c = config(SA_ESP_AES_GCM_16, 16, 0x1001);
	struct sa s;
	char buf[512];

	cr_assert_eq(sa_init(&s, &c, SA_DIR_OUT), 0);
	int n = keys_esp_line(&s, 0x0a420001, 0x0a420002, buf, sizeof(buf));
	cr_assert_str_eq(buf, "\"IPv4\",\"10.66.0.1\",\"10.66.0.2\",\"0x00001001\","
			      "\"AES-GCM with 16 octet ICV [RFC4106]\","
			      "\"0x101112131415161718191a1b1c1d1e1fcafebabe\",\"NULL\",\"\"\n");
	cr_assert_eq(n, (int)strlen(buf));
	cr_assert_eq(keys_esp_line(&s, 1, 2, buf, 40), RMC_ENOSPC);
	cr_assert_eq(keys_ah_line(&s, 1, 2, buf, sizeof(buf)), RMC_EINVAL, "an ESP SA");
	sa_clear(&s);
	c = config(SA_ESP_AES_CBC_HMAC_SHA256, 16, 0x2002);
	cr_assert_eq(sa_init(&s, &c, SA_DIR_IN), 0);
	keys_esp_line(&s, 0x0a420002, 0x0a420001, buf, sizeof(buf));
	cr_assert_str_eq(
	    buf, "\"IPv4\",\"10.66.0.2\",\"10.66.0.1\",\"0x00002002\","
		 "\"AES-CBC [RFC3602]\",\"0x101112131415161718191a1b1c1d1e1f\","
		 "\"HMAC-SHA-256-128 [RFC4868]\","
		 "\"0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\"\n");
	sa_clear(&s);
}

Test(keys, ah_line_form)
{
	struct sa_config c = config(SA_AH_HMAC_SHA256, 0, 0x3003);
	struct sa s;
	char buf[512];

	cr_assert_eq(sa_init(&s, &c, SA_DIR_OUT), 0);
	int n = keys_ah_line(&s, 0xc0a80a01, 0x0a000002, buf, sizeof(buf));
	cr_assert_str_eq(
	    buf, "\"AH-IPv4\",\"192.168.10.1\",\"10.0.0.2\",\"0x00003003\",\"NULL\",\"\","
		 "\"HMAC-SHA-256-128 [RFC4868]\","
		 "\"0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\"\n");
	cr_assert_eq(n, (int)strlen(buf));
	cr_assert_eq(keys_sa_line(&s, 0xc0a80a01, 0x0a000002, buf, sizeof(buf)), n);
	cr_assert_eq(keys_ah_line(&s, 1, 2, buf, 60), RMC_ENOSPC);
	cr_assert_eq(keys_esp_line(&s, 1, 2, buf, sizeof(buf)), RMC_EINVAL, "an AH SA");
	sa_clear(&s);
}

static void
round_trip(enum sa_suite suite, size_t keylen)
{
	struct sa_config c = config(suite, keylen, 0x12345678);
	struct sa s;
	struct keyring kr = {0};
	char line[512], err[256];

	cr_assert_eq(sa_init(&s, &c, SA_DIR_OUT), 0);
	int n = keys_sa_line(&s, 0x0a000001, 0x0a000002, line, sizeof(line));
	cr_assert_gt(n, 0);
	cr_assert_eq(keyring_add_line(&kr, line, 1, err, sizeof(err)), 0, "%s: %s", line, err);
	cr_assert_eq(kr.n, 1);
	struct key_sa *k = keyring_find(&kr, sa_proto(&s), 0x12345678, 0x0a000001, 0x0a000002);
	cr_assert_not_null(k);
	cr_assert_eq(k->sa.dir, SA_DIR_IN);
	cr_assert_eq(k->sa.cfg.suite, suite);
	cr_assert_eq(k->sa.cfg.enc_key_len, c.enc_key_len);
	cr_assert_arr_eq(k->sa.cfg.enc_key, c.enc_key, c.enc_key_len);
	cr_assert_eq(k->sa.cfg.auth_key_len, c.auth_key_len);
	cr_assert_arr_eq(k->sa.cfg.auth_key, c.auth_key, c.auth_key_len);
	if (suite == SA_ESP_AES_GCM_16)
		cr_assert_arr_eq(k->sa.cfg.salt, c.salt, 4);
	/* Direction and protocol matter. */
	cr_assert_null(keyring_find(&kr, sa_proto(&s), 0x12345678, 0x0a000002, 0x0a000001));
	cr_assert_null(keyring_find(&kr, sa_proto(&s) == SA_PROTO_AH ? SA_PROTO_ESP : SA_PROTO_AH,
				    0x12345678, 0x0a000001, 0x0a000002));
	keyring_free(&kr);
	sa_clear(&s);
}

Test(keys, round_trip_every_suite)
{
	round_trip(SA_ESP_AES_GCM_16, 16);
	round_trip(SA_ESP_AES_GCM_16, 32);
	round_trip(SA_ESP_AES_CBC_HMAC_SHA256, 16);
	round_trip(SA_ESP_AES_CBC_HMAC_SHA256, 32);
	round_trip(SA_AH_HMAC_SHA256, 0);
}

/* The whole of a small file into buf, NUL-terminated. */
static void
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	size_t n = fread(buf, 1, cap - 1, f);
	cr_assert(feof(f), "%s: larger than the test expects", path);
	fclose(f);
	buf[n] = '\0';
}

static void
tmp_path(char *dir, size_t dcap, char *path, size_t pcap, const char *name)
{
	static const char six[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};

	snprintf(dir, dcap, "/tmp/rmcpsec-keys-%s", six);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, pcap, "%s/%s", dir, name);
}

Test(keys, write_sa_file_in_order_and_read_back)
{
	const uint32_t nic = 0x0a000002, srv = 0x0a000001;
	struct sa_config c[3] = {config(SA_ESP_AES_GCM_16, 16, 0x101),
				 config(SA_AH_HMAC_SHA256, 0, 0x102),
				 config(SA_ESP_AES_CBC_HMAC_SHA256, 32, 0x103)};
	struct sa s[3];
	struct keyring kr = {0};
	char dir[64], path[96], err[256], want[2048] = "", got[2048], line[512];

	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(sa_init(&s[i], &c[i], SA_DIR_OUT), 0);
	const struct key_line v[] = {{&s[0], nic, srv}, {&s[1], srv, nic}, {&s[2], nic, srv}};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_gt(keys_sa_line(v[i].sa, v[i].src, v[i].dst, line, sizeof(line)), 0);
		strcat(want, line);
	}
	tmp_path(dir, sizeof(dir), path, sizeof(path), "keys");
	cr_assert_eq(keys_write_sa_file(path, v, 3, err, sizeof(err)), 0, "%s", err);
	slurp(path, got, sizeof(got));
	cr_assert_str_eq(got, want);
	cr_assert_eq(keyring_load(&kr, path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kr.n, 3);
	cr_assert_not_null(keyring_find(&kr, SA_PROTO_ESP, 0x101, nic, srv));
	cr_assert_not_null(keyring_find(&kr, SA_PROTO_AH, 0x102, srv, nic));
	cr_assert_not_null(keyring_find(&kr, SA_PROTO_ESP, 0x103, nic, srv));
	keyring_free(&kr);
	/* No SAs: the file is still written (and emptied), as a run with none leaves it. */
	cr_assert_eq(keys_write_sa_file(path, NULL, 0, err, sizeof(err)), 0, "%s", err);
	slurp(path, got, sizeof(got));
	cr_assert_str_eq(got, "");
	for (size_t i = 0; i < 3; i++)
		sa_clear(&s[i]);
	unlink(path);
	rmdir(dir);
}

Test(keys, write_ike_table_one_line_each)
{
	static const char *const lines[] = {
	    "0102030405060708,1112131415161718,aa,bb,\"AES-GCM-128 with 16 octet ICV [RFC4106]\","
	    "cc,dd,\"NONE [RFC4306]\",,",
	    "x",
	};
	char dir[64], path[96], err[256], got[512];

	tmp_path(dir, sizeof(dir), path, sizeof(path), "ikev2_decryption_table");
	cr_assert_eq(keys_write_ike_table(path, lines, 2, err, sizeof(err)), 0, "%s", err);
	slurp(path, got, sizeof(got));
	cr_assert_str_eq(got, "0102030405060708,1112131415161718,aa,bb,\"AES-GCM-128 with 16 "
			      "octet ICV [RFC4106]\",cc,dd,\"NONE [RFC4306]\",,\nx\n");
	unlink(path);
	rmdir(dir);
}

Test(keys, write_errors_name_the_path)
{
	static const char *const lines[] = {"x"};
	struct sa_config c = config(SA_ESP_AES_GCM_16, 16, 0x101);
	struct sa s;
	char err[256], want[256];

	cr_assert_eq(sa_init(&s, &c, SA_DIR_OUT), 0);
	const struct key_line v[] = {{&s, 1, 2}};
	snprintf(want, sizeof(want), "/nonexistent/esp_sa: %s", strerror(ENOENT));
	cr_assert_eq(keys_write_sa_file("/nonexistent/esp_sa", v, 1, err, sizeof(err)), RMC_EIO);
	cr_assert_str_eq(err, want);
	cr_assert_eq(keys_write_ike_table("/nonexistent/esp_sa", lines, 1, err, sizeof(err)),
		     RMC_EIO);
	cr_assert_str_eq(err, want);
	/* /dev/full opens, and refuses the bytes when they are flushed. */
	cr_assert_eq(keys_write_sa_file("/dev/full", v, 1, err, sizeof(err)), RMC_EIO);
	cr_assert_str_eq(err, "/dev/full: cannot write the keys");
	cr_assert_eq(keys_write_ike_table("/dev/full", lines, 1, err, sizeof(err)), RMC_EIO);
	cr_assert_str_eq(err, "/dev/full: cannot write the keys");
	sa_clear(&s);
}

Test(keys, wildcards_comments_and_shared_keys)
{
	struct keyring kr = {0};
	char err[256];
	static const char *lines[] = {
	    "# a comment",
	    "",
	    "\"IPv4\",\"*\",\"10.0.0.2\",\"0x00000101\",\"AES-GCM with 16 octet ICV "
	    "[RFC4106]\",\"0x000102030405060708090a0b0c0d0e0f01020304\",\"NULL\",\"\"",
	    "\"IPv4\",\"10.0.0.2\",\"*\",\"258\",\"AES-GCM with 16 octet ICV "
	    "[RFC4106]\",\"0x000102030405060708090a0b0c0d0e0f01020304\",\"NULL\",\"\"\r\n",
	    "\"IPv4\",\"10.0.0.2\",\"*\",\"0x103\",\"AES-GCM with 16 octet ICV "
	    "[RFC4106]\",\"0x000102030405060708090a0b0c0d0e0f01020305\",\"NULL\",\"\"",
	};

	for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_assert_eq(keyring_add_line(&kr, lines[i], i + 1, err, sizeof(err)), 0, "%s",
			     err);
	cr_assert_eq(kr.n, 3);
	cr_assert_not_null(keyring_find(&kr, SA_PROTO_ESP, 0x101, 0x01020304, 0x0a000002));
	cr_assert_null(keyring_find(&kr, SA_PROTO_ESP, 0x101, 0x01020304, 0x0a000003));
	cr_assert_not_null(keyring_find(&kr, SA_PROTO_ESP, 0x102, 0x0a000002, 0x05060708));
	/* Same key and salt: one key id; another salt: another. */
	cr_assert_eq(kr.sa[0].key_id, kr.sa[1].key_id);
	cr_assert_neq(kr.sa[0].key_id, kr.sa[2].key_id);
	keyring_free(&kr);
	keyring_free(&kr); /* NULL-safe and idempotent */
}

Test(keys, every_bad_line_refused_with_its_number)
{
	static const char gcm[] = "\"AES-GCM with 16 octet ICV [RFC4106]\"";
	static const char gk[] = "\"0x000102030405060708090a0b0c0d0e0f01020304\"";
	char bad[32][512];
	size_t n = 0;

#define BAD(...) snprintf(bad[n++], sizeof(bad[0]), __VA_ARGS__)
	BAD("IPv4,\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,%s,\"NULL\",\"\"", gcm, gk); /* unquoted */
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,%s,\"NULL\"", gcm, gk);  /* 7 fields */
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,%s,\"NULL\",\"\",\"x\"", gcm, gk);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,%s,\"NULL\",\"\" junk", gcm, gk);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,%s,\"NULL\",\"", gcm, gk);
	BAD("\"IPv6\",\"::1\",\"::2\",\"0x100\",%s,%s,\"NULL\",\"\"", gcm, gk);
	BAD("\"IPv4\",\"1.2.3\",\"5.6.7.8\",\"0x100\",%s,%s,\"NULL\",\"\"", gcm, gk);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0xZZ\",%s,%s,\"NULL\",\"\"", gcm, gk);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x1ffffffff\",%s,%s,\"NULL\",\"\"", gcm, gk);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x10\",%s,%s,\"NULL\",\"\"", gcm, gk); /* < 256 */
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",\"TripleDES-CBC [RFC2451]\",%s,\"NULL\","
	    "\"\"",
	    gk);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,\"0x0001020\",\"NULL\",\"\"", gcm);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,\"0x00010203\",\"NULL\",\"\"", gcm);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,\"0x0001g2030405060708090a0b0c0d0e0f010"
	    "20304\",\"NULL\",\"\"",
	    gcm);
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,%s,\"HMAC-SHA-256-128 [RFC4868]\","
	    "\"0x00\"",
	    gcm, gk);
	/* A 24-byte AES key is not one of our suites' lengths. */
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,\"0x%s\",\"NULL\",\"\"", gcm,
	    "000102030405060708090a0b0c0d0e0f101112131415161701020304");
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",\"AES-CBC [RFC3602]\",\"0x%s\","
	    "\"HMAC-SHA-1-96 [RFC2404]\",\"0x%s\"",
	    "000102030405060708090a0b0c0d0e0f", "0001020304050607080910111213141516171819");
	BAD("\"IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",\"AES-CBC [RFC3602]\",\"0x%s\","
	    "\"HMAC-SHA-256-128 [RFC4868]\",\"0x0102\"",
	    "000102030405060708090a0b0c0d0e0f");
	BAD("\"AH-IPv4\",\"1.2.3.4\",\"5.6.7.8\",\"0x100\",%s,%s,\"HMAC-SHA-256-128 [RFC4868]\","
	    "\"0x00\"",
	    gcm, gk);
#undef BAD
	for (size_t i = 0; i < n; i++) {
		struct keyring kr = {0};
		char err[256] = "";
		cr_assert_lt(keyring_add_line(&kr, bad[i], 42, err, sizeof(err)), 0, "accepted: %s",
			     bad[i]);
		cr_assert_eq(kr.n, 0);
		cr_assert_eq(strncmp(err, "line 42: ", 9), 0, "%s", err);
		keyring_free(&kr);
	}
}

Test(keys, load_names_file_and_line)
{
	char dir[64], path[96], err[256];
	static const char six[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};
	struct keyring kr = {0};

	snprintf(dir, sizeof(dir), "/tmp/rmcpsec-keys-%s", six);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/esp_sa", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("# keys\n\"IPv4\",\"*\",\"*\",\"0x100\",\"AES-GCM with 16 octet ICV [RFC4106]\","
	      "\"0x000102030405060708090a0b0c0d0e0f01020304\",\"NULL\",\"\"\nnonsense\n",
	      f);
	fclose(f);
	cr_assert_eq(keyring_load(&kr, path, err, sizeof(err)), RMC_EINVAL);
	cr_assert_not_null(strstr(err, "esp_sa: line 3:"), "%s", err);
	keyring_free(&kr);
	cr_assert_eq(keyring_load(&kr, "/nonexistent/esp_sa", err, sizeof(err)), RMC_EIO);
	unlink(path);
	rmdir(dir);
}

Test(keys, beside_the_trace)
{
	char dir[64], path[96], trace[96], err[256];
	static const char six[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};
	struct keyring kr = {0};

	snprintf(dir, sizeof(dir), "/tmp/rmcpsec-keys-%s", six);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(trace, sizeof(trace), "%s/trace.pcap", dir);
	cr_assert_eq(keyring_load_beside(&kr, trace, err, sizeof(err)), 0, "no files: no keys");
	cr_assert_eq(kr.n, 0);
	snprintf(path, sizeof(path), "%s/esp_sa", dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("\"IPv4\",\"*\",\"*\",\"0x100\",\"AES-GCM with 16 octet ICV [RFC4106]\","
	      "\"0x000102030405060708090a0b0c0d0e0f01020304\",\"NULL\",\"\"\n",
	      f);
	fclose(f);
	cr_assert_eq(keyring_load_beside(&kr, trace, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(kr.n, 1);
	keyring_free(&kr);
	snprintf(path, sizeof(path), "%s/ah_sa", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("garbage\n", f);
	fclose(f);
	cr_assert_eq(keyring_load_beside(&kr, trace, err, sizeof(err)), RMC_EINVAL);
	cr_assert_not_null(strstr(err, "ah_sa: line 1:"), "%s", err);
	keyring_free(&kr);
	unlink(path);
	snprintf(path, sizeof(path), "%s/esp_sa", dir);
	unlink(path);
	rmdir(dir);
}

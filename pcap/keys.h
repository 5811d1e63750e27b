/*
 * Key files: the one reader (for the verifier) and the one writer (for the
 * files a run leaves beside its trace). Each line is one SA in the CSV form
 * of Wireshark's esp_sa UAT file (ESP preferences, "ESP SAs"):
 *
 *   "IPv4","src","dst","0xSPI","<encryption>","0x<key>","<auth>","0x<key>"
 *
 * with <encryption> "AES-GCM with 16 octet ICV [RFC4106]" (key || 4-byte
 * salt, auth "NULL" and key "") or "AES-CBC [RFC3602]" with auth
 * "HMAC-SHA-256-128 [RFC4868]". src or dst "*" matches any address, as
 * in Wireshark. Wireshark has no AH SAs, so AH keys use the same columns
 * with the protocol "AH-IPv4", encryption "NULL" and key "" (keep them in a
 * file of their own, e.g. ah_sa, that Wireshark does not read). Blank lines
 * and lines starting with '#' are skipped.
 *
 * Every SA is built inbound (it opens packets). The verifier resets its
 * replay window before each packet, because it must judge every copy of a
 * packet itself rather than have the window drop the second one.
 * Extended sequence numbers cannot be written in esp_sa and are not
 * supported: the high half of the sequence number would be unknown.
 */
#ifndef RMCPSEC_PCAP_KEYS_H
#define RMCPSEC_PCAP_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/sa.h"

struct key_sa {
	uint32_t src, dst; /* host byte order */
	bool src_any, dst_any;
	uint32_t key_id; /* equal for SAs sharing the same encryption key and salt */
	unsigned line;	 /* where it came from, for messages */
	struct sa sa;	 /* inbound, keyed once */
};

struct keyring {
	struct key_sa *sa;
	size_t n, cap;
	uint32_t next_key_id;
};

/* Appends every SA in path; on error names the file and line. */
int keyring_load(struct keyring *kr, const char *path, char *err, size_t errlen);
/*
 * The key files a run writes beside its trace: esp_sa and ah_sa in the
 * directory of trace_path, each if it exists. Errors as keyring_load.
 */
int keyring_load_beside(struct keyring *kr, const char *trace_path, char *err, size_t errlen);
/* One line (with or without its newline); lineno only for messages. */
int keyring_add_line(struct keyring *kr, const char *line, unsigned lineno, char *err,
		     size_t errlen);
/* The SA for this SPI between src and dst (host order), or NULL. */
struct key_sa *keyring_find(struct keyring *kr, enum sa_proto proto, uint32_t spi, uint32_t src,
			    uint32_t dst);
/* NULL-safe; wipes the keys. */
void keyring_free(struct keyring *kr);

/*
 * One line for this SA between src and dst (host byte order), with its
 * newline, in the form above. Returns the length, RMC_ENOSPC, or RMC_EINVAL
 * for an SA of the other protocol. keys_sa_line picks by the SA's protocol.
 */
int keys_esp_line(const struct sa *sa, uint32_t src, uint32_t dst, char *buf, size_t cap);
int keys_ah_line(const struct sa *sa, uint32_t src, uint32_t dst, char *buf, size_t cap);
int keys_sa_line(const struct sa *sa, uint32_t src, uint32_t dst, char *buf, size_t cap);

/* One SA as seen on the wire: packets under it go from src to dst (host byte order). */
struct key_line {
	const struct sa *sa;
	uint32_t src, dst;
};

/*
 * Writes (creates or truncates) path with one line per SA of v, in order,
 * each in its protocol's form: the esp_sa and ah_sa files. Errors name the
 * path: "PATH: <strerror>" when it cannot be opened, "PATH: cannot write the
 * keys" otherwise; RMC_EIO.
 */
int keys_write_sa_file(const char *path, const struct key_line *v, size_t n, char *err,
		       size_t errlen);
/*
 * Writes Wireshark's ikev2_decryption_table: each of lines (one IKE SA, as
 * proto/ikev2_wireshark.h formats it, without a newline) and a newline.
 * Errors as keys_write_sa_file.
 */
int keys_write_ike_table(const char *path, const char *const *lines, size_t n, char *err,
			 size_t errlen);

#endif

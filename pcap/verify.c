#include "pcap/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/verify_int.h"
#include "proto/err.h"

#define VERIFY_ID_NAME_(name, text) [name] = text,
static const char *const id_names[V_COUNT] = {VERIFY_IDS(VERIFY_ID_NAME_)};
#undef VERIFY_ID_NAME_

const char *
verify_id_name(enum verify_id id)
{
	return (unsigned)id < V_COUNT ? id_names[id] : "V-?";
}

int
verify_id_parse(const char *name)
{
	for (int i = 0; i < V_COUNT; i++)
		if (strcmp(id_names[i], name) == 0)
			return i;
	return -1;
}

void
verify_report(struct verifier *v, enum verify_id id, uint64_t related, const char *fmt, ...)
{
	struct verify_finding f = {.id = id, .frame = v->no, .t_ns = v->t_ns, .related = related};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f.text, sizeof(f.text), fmt, ap);
	va_end(ap);
	v->st.findings++;
	v->st.by_id[id]++;
	if (v->emit)
		v->emit(v->arg, &f);
}

uint64_t *
verify_seen(struct verifier *v, struct seen *s, uint64_t k0, uint64_t k1, bool *fresh)
{
	uint64_t *slot = seen_get(s, k0, k1, fresh);

	if (!slot && !v->oom) {
		v->oom = true;
		verify_report(v, V_MALFORMED, 0, "out of memory: later frames are judged partly");
	}
	return slot;
}

const char *
verify_ip_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
	return buf;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The copy owns its arrays, so the caller may free its policy at once. */
static int
copy_policy(struct verify_policy *dst, const struct verify_policy *src)
{
	*dst = *src;
	dst->clear_windows = NULL;
	dst->allowed_dups = NULL;
	dst->forged = NULL;
	if (src->nclear_windows) {
		size_t sz = src->nclear_windows * sizeof(*src->clear_windows);
		if (!(dst->clear_windows = malloc(sz)))
			return RMC_ENOMEM;
		memcpy(dst->clear_windows, src->clear_windows, sz);
	}
	if (src->nallowed_dups) {
		size_t sz = src->nallowed_dups * sizeof(*src->allowed_dups);
		if (!(dst->allowed_dups = malloc(sz)))
			return RMC_ENOMEM;
		memcpy(dst->allowed_dups, src->allowed_dups, sz);
		qsort(dst->allowed_dups, src->nallowed_dups, sizeof(uint64_t), cmp_u64);
	}
	if (src->nforged) {
		size_t sz = src->nforged * sizeof(*src->forged);
		if (!(dst->forged = malloc(sz)))
			return RMC_ENOMEM;
		memcpy(dst->forged, src->forged, sz);
		qsort(dst->forged, src->nforged, sizeof(uint64_t), cmp_u64);
	}
	return RMC_OK;
}

struct verifier *
verifier_new(const struct verify_policy *p, struct keyring *keys, verify_emit_fn emit, void *arg)
{
	/* Any fixed key: the digest only has to make distinct frames distinct. */
	static const uint8_t digest_key[HMAC_SHA256_KEY_LEN] = "rmcpsec verify frame digest";
	struct verifier *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->keys = keys;
	v->emit = emit;
	v->arg = arg;
	if (copy_policy(&v->pol, p) ||
	    hmac256_init(&v->digest, digest_key, sizeof(digest_key)) != RMC_OK) {
		verifier_free(v);
		return NULL;
	}
	return v;
}

void
verifier_free(struct verifier *v)
{
	if (!v)
		return;
	verify_policy_free(&v->pol);
	seen_free(&v->frames);
	seen_free(&v->seqs);
	seen_free(&v->nonces);
	seen_free(&v->commits);
	hmac256_clear(&v->digest);
	explicit_bzero(v->ip, sizeof(v->ip));
	free(v);
}

const struct verify_stats *
verifier_stats(const struct verifier *v)
{
	return &v->st;
}

static bool
dup_allowed(const struct verifier *v)
{
	return v->pol.nallowed_dups && bsearch(&v->no, v->pol.allowed_dups, v->pol.nallowed_dups,
					       sizeof(uint64_t), cmp_u64) != NULL;
}

/*
 * An IPv4 frame identical to an earlier one. Every IPv4 frame a node
 * sends has a new IP identification, so a byte-identical copy was made
 * by the network (or by a sender that resent a frame as it was); only
 * the copies the fault injector made are allowed. ARP is left out: a
 * repeated ARP request is legitimately identical (RFC 826).
 */
static bool
is_dup(struct verifier *v, const uint8_t *frame, size_t len)
{
	uint8_t d[HMAC_SHA256_128_LEN];
	uint64_t k0, k1, *first;
	bool fresh;

	if (hmac256_begin(&v->digest) || hmac256_update(&v->digest, frame, len) ||
	    hmac256_end128(&v->digest, d))
		return false;
	memcpy(&k0, d, 8);
	memcpy(&k1, d + 8, 8);
	if (!(first = verify_seen(v, &v->frames, k0, k1, &fresh)))
		return false;
	if (fresh) {
		*first = v->no;
		return false;
	}
	if (dup_allowed(v))
		v->st.allowed_dup++;
	else
		verify_report(v, V_DUP, *first,
			      "exact copy of frame %llu, not an injected duplicate",
			      (unsigned long long)*first);
	return true;
}

void
verify_frame(struct verifier *v, uint64_t no, uint64_t t_ns, const uint8_t *frame, size_t caplen,
	     size_t len)
{
	struct pkt pk;
	int rc;

	v->no = no;
	v->t_ns = t_ns;
	v->st.frames++;
	if (v->pol.nforged &&
	    bsearch(&v->no, v->pol.forged, v->pol.nforged, sizeof(uint64_t), cmp_u64)) {
		v->st.forged++;
		return;
	}
	if (caplen < len) {
		verify_report(v, V_MALFORMED, 0, "only %zu of %zu bytes captured: not judged",
			      caplen, len);
		return;
	}
	if ((rc = pkt_decode(frame, caplen, &pk))) {
		verify_report(v, V_MALFORMED, 0, "frame does not decode: %s", rmc_strerror(rc));
		return;
	}
	if (pk.kind != PKT_IPV4 && pk.kind != PKT_UDP)
		return;
	if (is_dup(v, frame, caplen))
		return;
	if (pk.kind == PKT_IPV4 && (pk.ip.proto == IPPROTO_ESP_ || pk.ip.proto == IPPROTO_AH_))
		verify_ipsec(v, &pk);
	else if (pk.kind == PKT_UDP)
		verify_clear_udp(v, &pk);
}

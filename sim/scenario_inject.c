/*
 * `do: inject` items of a scenario's timeline (docs/users/scenarios.md, "The
 * adversary"), read with the loader's one YAML reader.
 */
#include "sim/scenario_inject.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/commit_wire.h"
#include "proto/rmcp.h"
#include "nodes/secure.h"

static int load_adversary_name(struct scn_rd *rd, yaml_node_t *n, char *name, size_t cap);

static const char *const INJECT_KEYS[] = {
    "do", "name", "at",	 "at_commit_step", "nth",      "from", "to",   "msg", "via", "port",
    "sa", "spi",  "seq", "damage",	   "rmcp_seq", "tag",  "txid", NULL};

/* One table per kind of word. */
static const char *const SA_WORDS[] = {
    [SCN_INJ_SA_ACTIVE] = "active",
    [SCN_INJ_SA_PENDING] = "pending",
    [SCN_INJ_SA_PREVIOUS] = "previous",
};

static const char *const DAMAGE_WORDS[SCN_DAMAGE__COUNT] = {
    [SCN_DAMAGE_NONE] = "none",
    [SCN_DAMAGE_SPI] = "spi",
    [SCN_DAMAGE_SEQ] = "seq",
    [SCN_DAMAGE_IV] = "iv",
    [SCN_DAMAGE_CIPHERTEXT] = "ciphertext",
    [SCN_DAMAGE_PADDING] = "padding",
    [SCN_DAMAGE_NEXT_HEADER] = "next_header",
    [SCN_DAMAGE_ICV] = "icv",
};

static const char *const STEP_WORDS[] = {
    [SCN_STEP_READY] = "ready",
    [SCN_STEP_ACK] = "ack",
    [SCN_STEP_CONFIRM] = "confirm",
};

const char *
scn_damage_name(enum scn_damage d)
{
	return d < SCN_DAMAGE__COUNT ? DAMAGE_WORDS[d] : "?";
}

const char *
scn_inj_sa_name(enum scn_inj_sa sa)
{
	return sa <= SCN_INJ_SA_PREVIOUS ? SA_WORDS[sa] : "nth";
}

/* The index of word in words[0..n), or -1. */
static int
word_index(const char *const *words, size_t n, const char *word)
{
	for (size_t i = 0; i < n; i++)
		if (words[i] && strcmp(words[i], word) == 0)
			return (int)i;
	return -1;
}

/* `sa: active | pending | previous | N` (the client's Nth SA of the run). */
static int
load_sa(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	const char *s;
	int rc = scn_rd_str(rd, n, "sa", false, &s);
	if (rc || !s)
		return rc;
	int w = word_index(SA_WORDS, sizeof(SA_WORDS) / sizeof(SA_WORDS[0]), s);
	if (w >= 0) {
		in->sa = (enum scn_inj_sa)w;
		return RMC_OK;
	}
	uint64_t nth;
	if (scn_rd_uint(rd, n, "sa", 1, 65535, &nth) != RMC_OK)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "sa"), "sa",
				   "expected active, pending, previous or the client's Nth SA, "
				   "got '%s'",
				   s);
	in->sa = SCN_INJ_SA_NTH;
	in->sa_nth = (uint16_t)nth;
	return RMC_OK;
}

/* `seq: next | replay | ahead N | N`. */
static int
load_seq(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	const char *s;
	int rc = scn_rd_str(rd, n, "seq", false, &s);
	if (rc || !s)
		return rc;
	if (strcmp(s, "next") == 0) {
		in->seq = SCN_INJ_SEQ_NEXT;
		return RMC_OK;
	}
	if (strcmp(s, "replay") == 0) {
		in->seq = SCN_INJ_SEQ_REPLAY;
		return RMC_OK;
	}
	char *end;
	const char *num = strncmp(s, "ahead ", 6) == 0 ? s + 6 : s;
	unsigned long long v = strtoull(num, &end, 10);
	if (*num < '0' || *num > '9' || *end || (num != s && v == 0))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "seq"), "seq",
				   "expected next, replay, 'ahead N' (N > 0) or a number, got '%s'",
				   s);
	in->seq = num == s ? SCN_INJ_SEQ_VALUE : SCN_INJ_SEQ_AHEAD;
	if (in->seq == SCN_INJ_SEQ_VALUE && (v == 0 || v > UINT32_MAX))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "seq"), "seq",
				   "a sequence number is 1 to 4294967295 (RFC 4303 §2.2), got '%s'",
				   s);
	in->seq_arg = v;
	return RMC_OK;
}

/* `spi: 0x1badcafe`: an SPI is written in hex, as every tool shows it (or in decimal). */
static int
load_spi(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	const char *s;
	char *end;
	int rc = scn_rd_str(rd, n, "spi", false, &s);
	if (rc || !s)
		return rc;
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	unsigned long long v = strtoull(hex ? s + 2 : s, &end, hex ? 16 : 10);
	if (*end || end == (hex ? s + 2 : s) || v < 256 || v > UINT32_MAX)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "spi"), "spi",
				   "expected an SPI of 256 to 0xffffffff (RFC 4303 §2.1), got '%s'",
				   s);
	in->spi = (uint32_t)v;
	in->spi_set = true;
	return RMC_OK;
}

/* A damaged field must exist in the packets of the scenario's suite. */
static int
load_damage(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	const char *s;
	int rc = scn_rd_str(rd, n, "damage", false, &s);
	if (rc || !s)
		return rc;
	int d = word_index(DAMAGE_WORDS, SCN_DAMAGE__COUNT, s);
	if (d < 0)
		return scn_rd_fail(
		    rd, scn_rd_get(rd, n, "damage"), "damage",
		    "expected spi, seq, iv, ciphertext, padding, next_header or icv, "
		    "got '%s'",
		    s);
	in->damage = (enum scn_damage)d;
	uint8_t suite = rd->sc->security.suite;
	bool ah_outer = suite == MGMT_AH || suite == MGMT_AH_ESP;
	if (ah_outer && (d == SCN_DAMAGE_IV || d == SCN_DAMAGE_PADDING))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "damage"), "damage",
				   "the outer header is AH here: it has no %s", s);
	return RMC_OK;
}

/* The moment: `at: TIME`, or `at_commit_step: ready|ack|confirm` (with `nth`). */
static int
load_moment(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	const char *step;
	uint64_t nth = 1;
	int rc = scn_rd_str(rd, n, "at_commit_step", false, &step);
	if (rc)
		return rc;
	bool has_at = scn_rd_get(rd, n, "at") != NULL;
	if (has_at == (step != NULL))
		return scn_rd_fail(rd, n, "at",
				   "an injection needs at or at_commit_step, not both");
	in->at = UINT64_MAX;
	if (has_at) {
		if ((rc = scn_rd_time(rd, n, "at", true, &in->at)))
			return rc;
		if (in->at > rd->sc->duration)
			return scn_rd_fail(rd, scn_rd_get(rd, n, "at"), "at",
					   "after the scenario's duration");
		if (scn_rd_get(rd, n, "nth"))
			return scn_rd_fail(rd, scn_rd_get(rd, n, "nth"), "nth",
					   "counts commit steps: goes with at_commit_step");
		return RMC_OK;
	}
	int w = word_index(STEP_WORDS, sizeof(STEP_WORDS) / sizeof(STEP_WORDS[0]), step);
	if (w <= 0)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "at_commit_step"), "at_commit_step",
				   "expected ready, ack or confirm, got '%s'", step);
	if (!rd->sc->security.ike)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "at_commit_step"), "at_commit_step",
				   "commit steps happen with key_exchange: ike");
	in->step = (enum scn_step)w;
	if ((rc = scn_rd_uint(rd, n, "nth", 1, 1000000, &nth)))
		return rc;
	in->nth = (unsigned)nth;
	return RMC_OK;
}

/*
 * A commit message (sa_ready, sa_ack, sa_confirm): its body is the client's
 * last SA_READY's (SPIs, transaction id, generation), the transaction id
 * shifted by `txid: N` (a signed number; default 0).
 */
static int
load_commit_message(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in, const char *s)
{
	const char *t;
	char *end;
	int rc = scn_rd_str(rd, n, "txid", false, &t);
	if (rc)
		return rc;
	for (unsigned k = 1; k <= 3; k++)
		if (strcmp(s, commit_wire_name((uint8_t)k)) == 0)
			in->asf_type = (uint8_t)k;
	in->commit = true;
	in->rmcp_seq = 0xff; /* a commit message asks for no RMCP ACK (proto/commit_wire.h) */
	if (!rd->sc->security.ike)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "msg"), "msg",
				   "commit messages happen with key_exchange: ike");
	if (t) {
		long long v = strtoll(t, &end, 10);
		if (*end || end == t || v < -1000000 || v > 1000000)
			return scn_rd_fail(
			    rd, scn_rd_get(rd, n, "txid"), "txid",
			    "expected a shift of the transaction id, such as 1 or -1, "
			    "got '%s'",
			    t);
		in->txid_off = v;
	}
	if (!scn_rd_get(rd, n, "sa"))
		in->sa = SCN_INJ_SA_PENDING; /* where commit messages travel */
	return RMC_OK;
}

/* What it carries: an ASF request or command (or a commit message), its RMCP sequence number and
 * ASF tag. */
static int
load_message(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	const char *s;
	uint64_t v;
	int rc = scn_rd_str(rd, n, "msg", true, &s);
	if (rc)
		return rc;
	if (strcmp(s, "sa_ready") == 0 || strcmp(s, "sa_ack") == 0 || strcmp(s, "sa_confirm") == 0)
		return load_commit_message(rd, n, in, s);
	if (scn_rd_get(rd, n, "txid"))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "txid"), "txid",
				   "only a commit message has one");
	uint8_t t = 0;
	bool command = asf_type_by_word(s, &t) == RMC_OK && t >= ASF_RESET && t <= ASF_POWER_CYCLE;
	in->asf_type = t;
	if (!command && (t == 0 || !asf_response(t)))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "msg"), "msg",
				   "not an ASF request or command: '%s'", s);
	v = 0xc0 + (uint64_t)(rd->sc->ninjects % 32); /* apart from the servers' own numbers */
	if ((rc = scn_rd_uint(rd, n, "rmcp_seq", 0, 254, &v)))
		return rc;
	in->rmcp_seq = (uint8_t)v;
	v = 0xa0 + (uint64_t)(rd->sc->ninjects % 32);
	if ((rc = scn_rd_uint(rd, n, "tag", 0, 254, &v)))
		return rc;
	in->tag = (uint8_t)v;
	return RMC_OK;
}

/* How it is protected: in the clear to a port, or sealed under one of the client's SAs. */
static int
load_protection(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	enum scn_via via = SCN_VIA_DEFAULT;
	uint64_t port;
	int rc = scn_rd_via(rd, n, &via);
	if (rc)
		return rc;
	in->clear = via == SCN_VIA_CLEAR || !rd->sc->security.enabled;
	port = in->clear ? RMCP_PORT_CLEAR : RMCP_PORT_SECURE;
	if ((rc = scn_rd_uint(rd, n, "port", 1, 65535, &port)))
		return rc;
	in->port = (uint16_t)port;
	static const char *const sealed_only[] = {"sa", "spi", "seq", "damage"};
	for (size_t i = 0; in->clear && i < sizeof(sealed_only) / sizeof(sealed_only[0]); i++)
		if (scn_rd_get(rd, n, sealed_only[i]))
			return scn_rd_fail(rd, scn_rd_get(rd, n, sealed_only[i]), sealed_only[i],
					   "only a sealed injection has one (via: clear)");
	if (in->clear)
		return RMC_OK;
	if ((rc = load_sa(rd, n, in)) || (rc = load_seq(rd, n, in)) ||
	    (rc = load_damage(rd, n, in)))
		return rc;
	return load_spi(rd, n, in);
}

int
scenario_load_inject(struct scn_rd *rd, yaml_node_t *n, struct scenario *sc)
{
	struct scn_inject *in = &sc->injects[sc->ninjects];
	int rc = scn_rd_keys(rd, n, "timeline", "not a field of an injection", INJECT_KEYS, NULL);
	if (rc)
		return rc;
	memset(in, 0, sizeof(*in));
	in->line = (int)n->start_mark.line + 1;
	in->from = -1;
	if ((rc = load_adversary_name(rd, n, in->name, sizeof(in->name))) ||
	    (rc = scn_rd_node(rd, n, "to", SCN_RD_CLIENT, true, &in->to)) ||
	    (rc = scn_rd_node(rd, n, "from", SCN_RD_SERVER, false, &in->from)) ||
	    (rc = load_moment(rd, n, in)) || (rc = load_message(rd, n, in)) ||
	    (rc = load_protection(rd, n, in)))
		return rc;
	for (size_t i = 0; in->from < 0 && i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_SERVER)
			in->from = (int)i; /* the first server's addresses, by default */
	if (in->from < 0)
		return scn_rd_fail(rd, n, "from", "no server whose addresses it could carry");
	sc->ninjects++;
	return RMC_OK;
}

static const char *const IKE_PEER_KEYS[] = {"do",  "name", "as",    "to", "from",
					    "lie", "at",   "until", NULL};

static const char *const LIE_WORDS[SCN_LIE__COUNT] = {
    [SCN_LIE_PSK] = "psk",
    [SCN_LIE_AUTH] = "auth",
    [SCN_LIE_ID] = "id",
    [SCN_LIE_PROPOSAL] = "proposal",
    [SCN_LIE_DH_GROUP] = "dh_group",
    [SCN_LIE_KE_GROUP] = "ke_group",
    [SCN_LIE_KE_ZERO] = "ke_zero",
    [SCN_LIE_MSGID] = "msgid",
};

const char *
scn_ike_lie_name(enum scn_ike_lie lie)
{
	return lie < SCN_LIE__COUNT ? LIE_WORDS[lie] : "?";
}

/* A name for the expectations, unique among the adversary's items. */
static int
load_adversary_name(struct scn_rd *rd, yaml_node_t *n, char *name, size_t cap)
{
	const char *s;
	int rc = scn_rd_str(rd, n, "name", true, &s);
	if (rc)
		return rc;
	if (strlen(s) >= cap)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "name"), "name", "longer than %zu",
				   cap - 1);
	if (scenario_inject(rd->sc, s) >= 0 || scenario_ike_peer(rd->sc, s) >= 0)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "name"), "name",
				   "another injection or IKE peer is named '%s'", s);
	snprintf(name, cap, "%s", s);
	return RMC_OK;
}

/* `as: initiator` (poses as the server) or `as: responder` (poses as the client's host). */
static int
load_ike_role(struct scn_rd *rd, yaml_node_t *n, struct scn_ike_peer *p)
{
	const char *s;
	int rc = scn_rd_str(rd, n, "as", true, &s);
	if (rc)
		return rc;
	if (strcmp(s, "initiator") && strcmp(s, "responder"))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "as"), "as",
				   "expected initiator or responder, got '%s'", s);
	p->role = strcmp(s, "initiator") == 0 ? SCN_IKE_INITIATOR : SCN_IKE_RESPONDER;
	if ((rc = scn_rd_str(rd, n, "lie", true, &s)))
		return rc;
	int w = word_index(LIE_WORDS, SCN_LIE__COUNT, s);
	if (w < 0)
		return scn_rd_fail(
		    rd, scn_rd_get(rd, n, "lie"), "lie",
		    "expected psk, auth, id, proposal, dh_group, ke_group, ke_zero or "
		    "msgid, got '%s'",
		    s);
	p->lie = (enum scn_ike_lie)w;
	if (p->role == SCN_IKE_RESPONDER && p->lie == SCN_LIE_MSGID)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "lie"), "lie",
				   "a responder sends no requests: msgid goes with as: initiator");
	if (p->role == SCN_IKE_RESPONDER && (p->lie == SCN_LIE_PSK || p->lie == SCN_LIE_PROPOSAL))
		return scn_rd_fail(
		    rd, scn_rd_get(rd, n, "lie"), "lie",
		    "a responder checks the server with the real key and answers from "
		    "its proposals: lie with auth, id, dh_group, ke_group or ke_zero");
	return RMC_OK;
}

int
scenario_load_ike_peer(struct scn_rd *rd, yaml_node_t *n, struct scenario *sc)
{
	struct scn_ike_peer *p = &sc->ike_peers[sc->nike_peers];
	int rc = scn_rd_keys(rd, n, "timeline", "not a field of an IKE peer", IKE_PEER_KEYS, NULL);
	if (rc)
		return rc;
	memset(p, 0, sizeof(*p));
	p->line = (int)n->start_mark.line + 1;
	p->server = -1;
	p->until = UINT64_MAX;
	if (!sc->security.ike)
		return scn_rd_fail(rd, n, "do", "a lying IKE peer needs key_exchange: ike");
	if ((rc = load_adversary_name(rd, n, p->name, sizeof(p->name))) ||
	    (rc = load_ike_role(rd, n, p)) ||
	    (rc = scn_rd_node(rd, n, "to", SCN_RD_CLIENT, true, &p->client)) ||
	    (rc = scn_rd_node(rd, n, "from", SCN_RD_SERVER, false, &p->server)) ||
	    (rc = scn_rd_time(rd, n, "at", true, &p->at)) ||
	    (rc = scn_rd_time_or_never(rd, n, "until", false, &p->until)))
		return rc;
	if (p->at > sc->duration)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "at"), "at",
				   "after the scenario's duration");
	if (p->role == SCN_IKE_INITIATOR && scn_rd_get(rd, n, "until"))
		return scn_rd_fail(
		    rd, scn_rd_get(rd, n, "until"), "until",
		    "an initiator tells its lie once: until goes with as: responder");
	if (p->until <= p->at)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "until"), "until", "not after at");
	for (size_t i = 0; p->server < 0 && i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_SERVER)
			p->server = (int)i;
	if (p->server < 0)
		return scn_rd_fail(rd, n, "from", "no server to pose as or to answer");
	sc->nike_peers++;
	return RMC_OK;
}

int
scenario_ike_peer(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->nike_peers; i++)
		if (strcmp(sc->ike_peers[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
scenario_inject(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->ninjects; i++)
		if (strcmp(sc->injects[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * `do: inject` items of a scenario's timeline (docs/users/scenarios.md, "The
 * adversary"), read with the loader's one YAML reader.
 */
#include "sim/scenario_inject.h"

#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "proto/rmcp.h"
#include "nodes/secure.h"

static const char *const INJECT_KEYS[] = {
    "do", "name", "at",	 "at_commit_step", "nth",      "from", "to", "msg", "via", "port",
    "sa", "spi",  "seq", "damage",	   "rmcp_seq", "tag",  NULL};

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

/* What it carries: an ASF request or command, its RMCP sequence number and ASF tag. */
static int
load_message(struct scn_rd *rd, yaml_node_t *n, struct scn_inject *in)
{
	const char *s;
	uint64_t v;
	int rc = scn_rd_str(rd, n, "msg", true, &s);
	if (rc)
		return rc;
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
	const char *name;
	int rc = scn_rd_keys(rd, n, "timeline", "not a field of an injection", INJECT_KEYS, NULL);
	if (rc)
		return rc;
	memset(in, 0, sizeof(*in));
	in->line = (int)n->start_mark.line + 1;
	in->from = -1;
	if ((rc = scn_rd_str(rd, n, "name", true, &name)))
		return rc;
	if (strlen(name) >= sizeof(in->name))
		return scn_rd_fail(rd, scn_rd_get(rd, n, "name"), "name", "longer than %zu",
				   sizeof(in->name) - 1);
	if (scenario_inject(sc, name) >= 0)
		return scn_rd_fail(rd, scn_rd_get(rd, n, "name"), "name",
				   "another injection is named '%s'", name);
	snprintf(in->name, sizeof(in->name), "%s", name);
	if ((rc = scn_rd_node(rd, n, "to", SCN_RD_CLIENT, true, &in->to)) ||
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

int
scenario_inject(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->ninjects; i++)
		if (strcmp(sc->injects[i].name, name) == 0)
			return (int)i;
	return -1;
}

#include "sim/scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "proto/err.h"
#include "nodes/nvram.h"
#include "nodes/secure.h"
#include "proto/ikev2.h"
#include "proto/rmcp.h"
#include "sim/rng.h"
#include "sim/scenario_fault.h"
#include "sim/scenario_inject.h"
#include "sim/scn_rd.h"

/* Loader state: the parsed document, its reader and the scenario it fills. */
struct ld {
	yaml_document_t doc;
	struct scn_rd rd;
	struct scenario *sc;
	size_t action_cap;
};

/* Refuses keys not in allowed (NULL-terminated): typos must not pass silently. */
static int
check_keys(struct ld *ld, yaml_node_t *map, const char *where, const char *const *allowed)
{
	char unknown[64];
	snprintf(unknown, sizeof(unknown), "unknown field in %s", where);
	return scn_rd_keys(&ld->rd, map, where, unknown, allowed, NULL);
}

int
scn_parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"ns", 1},
		     {"us", 1000},
		     {"ms", 1000000},
		     {"s", 1000000000ULL},
		     {"m", 60000000000ULL},
		     {"h", 3600000000000ULL}};
	uint64_t whole = 0, frac = 0, scale = 1;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > UINT64_MAX / 10 - 9)
			return -1;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000000000ULL) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].unit) != 0)
			continue;
		uint64_t u = units[i].ns;
		if (whole > UINT64_MAX / u)
			return -1;
		*ns = whole * u + frac * u / scale;
		return 0;
	}
	return -1;
}

static int
parse_ip(const char *s, uint32_t *ip)
{
	unsigned a, b, c, d;
	char tail;
	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
	    c > 255 || d > 255)
		return -1;
	*ip = (a << 24) | (b << 16) | (c << 8) | d;
	return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (m[i] > 255)
			return -1;
		mac[i] = (uint8_t)m[i];
	}
	return 0;
}

static int
parse_rate(const char *s, uint64_t *bps)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	double mul = strcmp(end, "bps") == 0	? 1
		     : strcmp(end, "kbps") == 0 ? 1e3
		     : strcmp(end, "Mbps") == 0 ? 1e6
		     : strcmp(end, "Gbps") == 0 ? 1e9
						: 0;
	if (mul == 0)
		return -1;
	*bps = (uint64_t)(v * mul);
	return 0;
}

static int
load_link(struct ld *ld, yaml_node_t *n)
{
	static const char *const keys[] = {"latency", "bandwidth", "mtu", NULL};
	struct lan_port_cfg *l = &ld->sc->link;
	const char *s;
	int rc = check_keys(ld, n, "link", keys);
	if (!rc)
		rc = scn_rd_time_or_never(&ld->rd, n, "latency", false, &l->latency_ns);
	if (!rc)
		rc = scn_rd_str(&ld->rd, n, "bandwidth", false, &s);
	if (!rc && s && parse_rate(s, &l->bits_per_s) != 0)
		rc = scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "bandwidth"), "bandwidth",
				 "bad rate '%s' (e.g. 1Gbps, 100Mbps)", s);
	if (!rc)
		rc = scn_rd_str(&ld->rd, n, "mtu", false, &s);
	if (!rc && s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end || v < 576 || v > 1500)
			rc = scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "mtu"), "mtu",
					 "expected 576..1500, got '%s'", s);
		else
			l->mtu = (uint16_t)v;
	}
	return rc;
}

static int
load_clear(struct ld *ld, yaml_node_t *n, struct scn_security *sec)
{
	static const char *const keys[] = {"allowed", "port", "messages", NULL};
	uint64_t port = sec->clear_port;
	int rc = check_keys(ld, n, "clear", keys);
	if (!rc)
		rc = scn_rd_bool(&ld->rd, n, "allowed", &sec->clear_allowed);
	if (!rc)
		rc = scn_rd_uint(&ld->rd, n, "port", 1, 65535, &port);
	if (rc)
		return rc;
	if (port == 664)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "port"), "port",
				   "664 is the secured port");
	sec->clear_port = (uint16_t)port;
	yaml_node_t *msgs = scn_rd_get(&ld->rd, n, "messages");
	if (!msgs)
		return RMC_OK;
	if (msgs->type != YAML_SEQUENCE_NODE)
		return scn_rd_fail(&ld->rd, msgs, "messages",
				   "expected a list of ASF message names");
	sec->clear_msgs = 0;
	for (yaml_node_item_t *it = msgs->data.sequence.items.start;
	     it < msgs->data.sequence.items.top; it++) {
		yaml_node_t *m = scn_rd_item(&ld->rd, *it);
		const char *name = scn_rd_scalar(m);
		uint8_t type = 0;
		if (!name || asf_type_by_word(name, &type) != RMC_OK || !asf_clear_bit(type))
			return scn_rd_fail(
			    &ld->rd, m, "messages",
			    "'%s' is not a request or command the NIC can allow in the clear",
			    name ? name : "?");
		sec->clear_msgs |= (uint16_t)asf_clear_bit(type);
	}
	return RMC_OK;
}

/* key_exchange, profile and the refresh timing (docs/internals/mechanism.md). */
static int
load_mechanism(struct ld *ld, yaml_node_t *n, struct scn_security *sec)
{
	const char *s;
	uint64_t tries = sec->timing.ready_tries;
	int rc;
	if ((rc = scn_rd_str(&ld->rd, n, "key_exchange", false, &s)))
		return rc;
	if (s && strcmp(s, "ike") != 0 && strcmp(s, "provisioned") != 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "key_exchange"), "key_exchange",
				   "expected ike or provisioned, got '%s'", s);
	sec->ike = s && strcmp(s, "ike") == 0;
	if (sec->ike && (sec->suite == MGMT_AH_ESP || sec->esn))
		return scn_rd_fail(
		    &ld->rd, scn_rd_get(&ld->rd, n, "key_exchange"), "key_exchange",
		    "IKE negotiates one protocol per CHILD_SA without ESN here: use an "
		    "ESP or AH suite without esn (docs/internals/ikev2.md)");
	if ((rc = scn_rd_str(&ld->rd, n, "profile", false, &s)))
		return rc;
	if (s && commit_profile_parse(s, &sec->profile) != 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "profile"), "profile",
				   "expected strict or robust, got '%s'", s);
	if ((rc = scn_rd_time_or_never(&ld->rd, n, "refresh", false, &sec->timing.refresh)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "lifetime", false, &sec->lifetime)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "max_downtime", false, &sec->max_downtime)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "commit_rto", false, &sec->timing.rto)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "ready_wait", false, &sec->timing.ready_wait)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "poll", false, &sec->poll_ns)) ||
	    (rc = scn_rd_uint(&ld->rd, n, "ready_tries", 1, 100, &tries)))
		return rc;
	sec->timing.ready_tries = (unsigned)tries;
	if (sec->timing.refresh == 0 || sec->timing.refresh == UINT64_MAX)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "refresh"), "refresh",
				   "must be finite and above 0");
	if (sec->timing.rto == 0 || sec->timing.ready_wait == 0)
		return scn_rd_fail(&ld->rd, n, sec->timing.rto ? "ready_wait" : "commit_rto",
				   "must be above 0");
	if (sec->poll_ns == UINT64_MAX)
		sec->poll_ns = 0;
	/* Patent Fig. 4: refresh << lifetime, and lifetime - refresh >= the longest downtime */
	if (sec->lifetime != UINT64_MAX &&
	    (sec->max_downtime >= sec->lifetime ||
	     sec->timing.refresh >= sec->lifetime - sec->max_downtime))
		return scn_rd_fail(
		    &ld->rd,
		    scn_rd_get(&ld->rd, n, "refresh") ? scn_rd_get(&ld->rd, n, "refresh") : n,
		    "refresh",
		    "the refresh interval must be smaller than lifetime minus max_downtime");
	return RMC_OK;
}

static int
load_security(struct ld *ld, yaml_node_t *n)
{
	static const char *const keys[] = {
	    "suite",	    "esn",	  "replay_window", "reservation", "clear",
	    "key_exchange", "profile",	  "refresh",	   "lifetime",	  "max_downtime",
	    "commit_rto",   "ready_wait", "ready_tries",   "poll",	  NULL};
	struct scn_security *sec = &ld->sc->security;
	const char *s;
	uint64_t v;
	int rc = check_keys(ld, n, "security", keys);
	if (rc || (rc = scn_rd_str(&ld->rd, n, "suite", true, &s)))
		return rc;
	if (mgmt_suite_parse(s, &sec->suite) != 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "suite"), "suite",
				   "unknown suite '%s' (esp-aes-gcm-128, esp-aes-gcm-256, "
				   "esp-aes-cbc-hmac-sha256, ah-hmac-sha256, ah+esp)",
				   s);
	sec->enabled = true;
	sec->clear_allowed = false; /* secure-only unless the file says otherwise */
	if ((rc = scn_rd_bool(&ld->rd, n, "esn", &sec->esn)))
		return rc;
	v = sec->replay_window;
	if ((rc = scn_rd_uint(&ld->rd, n, "replay_window", 32, 1024, &v)))
		return rc;
	sec->replay_window = (uint32_t)v;
	if ((rc = scn_rd_uint(&ld->rd, n, "reservation", 1, 1u << 30, &sec->reservation)))
		return rc;
	yaml_node_t *clear = scn_rd_get(&ld->rd, n, "clear");
	if (clear && (rc = load_clear(ld, clear, sec)))
		return rc;
	return load_mechanism(ld, n, sec);
}

/* Servers: role primary / secondary with heartbeat and takeover times (Fig. 6 row 7). */
static int
load_ha(struct ld *ld, yaml_node_t *n, struct scn_node *nd)
{
	const char *s;
	int rc = scn_rd_str(&ld->rd, n, "role", false, &s);
	nd->heartbeat_ns = NS_PER_S;
	nd->takeover_ns = 3ULL * NS_PER_S;
	if (rc)
		return rc;
	if (!s)
		nd->ha = 0;
	else if (strcmp(s, "primary") == 0)
		nd->ha = 1;
	else if (strcmp(s, "secondary") == 0)
		nd->ha = 2;
	else
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "role"), "role",
				   "expected primary or secondary, got '%s'", s);
	if ((rc = scn_rd_time_or_never(&ld->rd, n, "heartbeat", false, &nd->heartbeat_ns)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "takeover", false, &nd->takeover_ns)))
		return rc;
	if (nd->heartbeat_ns == 0 || nd->heartbeat_ns == UINT64_MAX)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "heartbeat"), "heartbeat",
				   "must be finite and above 0");
	if (nd->takeover_ns == UINT64_MAX || nd->takeover_ns <= nd->heartbeat_ns)
		return scn_rd_fail(
		    &ld->rd,
		    scn_rd_get(&ld->rd, n, "takeover") ? scn_rd_get(&ld->rd, n, "takeover") : n,
		    "takeover", "must be finite and longer than the heartbeat interval");
	return RMC_OK;
}

/*
 * Clients: `commit: none` is a plain IPsec host without the patent's commit
 * handshake (docs/internals/mechanism.md); `commit: handshake`, the default, has it.
 */
static int
load_commit(struct ld *ld, yaml_node_t *n, struct scn_node *nd)
{
	const char *s;
	int rc = scn_rd_str(&ld->rd, n, "commit", false, &s);
	if (rc || !s)
		return rc;
	if (strcmp(s, "none") != 0 && strcmp(s, "handshake") != 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "commit"), "commit",
				   "expected none or handshake, got '%s'", s);
	nd->no_commit = s[0] == 'n';
	if (nd->no_commit && !ld->sc->security.ike)
		return scn_rd_fail(
		    &ld->rd, scn_rd_get(&ld->rd, n, "commit"), "commit",
		    "none needs security with key_exchange: ike (only IKE SAs are committed)");
	return RMC_OK;
}

static int
load_node(struct ld *ld, yaml_node_t *n, enum scn_role role, size_t index)
{
	static const char *const server_keys[] = {
	    "name", "mac", "ip", "retransmit", "retries", "role", "heartbeat", "takeover", NULL};
	static const char *const client_keys[] = {"name",      "mac",	 "ip", "power",
						  "boot_time", "commit", NULL};
	struct scenario *sc = ld->sc;
	struct scn_node *nd = &sc->nodes[sc->nnodes];
	const char *where = role == SCN_SERVER ? "servers" : "clients";
	const char *s;
	int rc = check_keys(ld, n, where, role == SCN_SERVER ? server_keys : client_keys);
	if (rc)
		return rc;
	memset(nd, 0, sizeof(*nd));
	nd->role = role;
	nd->line = (int)n->start_mark.line + 1;
	nd->power = PWR_OS_UP;
	nd->boot_ns = 30ULL * NS_PER_S;
	if ((rc = scn_rd_str(&ld->rd, n, "name", true, &s)))
		return rc;
	if (strlen(s) >= SCN_NAME)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "name"), "name",
				   "longer than %d characters", SCN_NAME - 1);
	if (scenario_node(sc, s) >= 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "name"), "name",
				   "'%s' is defined twice", s);
	snprintf(nd->name, sizeof(nd->name), "%s", s);
	/* Defaults: locally administered MACs, TEST-NET-1 (RFC 5737) addresses. */
	nd->mac[0] = 0x02;
	nd->mac[4] = role == SCN_SERVER ? 0x01 : 0x02;
	nd->mac[5] = (uint8_t)(index + 1);
	nd->ip = (192u << 24) | (0u << 16) | (2u << 8) |
		 (uint32_t)((role == SCN_SERVER ? 1 : 101) + index);
	if ((rc = scn_rd_str(&ld->rd, n, "mac", false, &s)))
		return rc;
	if (s && (parse_mac(s, nd->mac) != 0 || (nd->mac[0] & 1)))
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "mac"), "mac",
				   "bad unicast MAC '%s'", s);
	if ((rc = scn_rd_str(&ld->rd, n, "ip", false, &s)))
		return rc;
	if (s && parse_ip(s, &nd->ip) != 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "ip"), "ip",
				   "bad IPv4 address '%s'", s);
	if ((rc = scn_rd_str(&ld->rd, n, "power", false, &s)))
		return rc;
	if (s && power_state_parse(s, &nd->power) != 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "power"), "power",
				   "unknown power state '%s'", s);
	if ((rc = scn_rd_time_or_never(&ld->rd, n, "boot_time", false, &nd->boot_ns)))
		return rc;
	uint64_t retries = 3;
	nd->retx_ns = NS_PER_S;
	if ((rc = scn_rd_time_or_never(&ld->rd, n, "retransmit", false, &nd->retx_ns)) ||
	    (rc = scn_rd_uint(&ld->rd, n, "retries", 0, 10, &retries)))
		return rc;
	if (nd->retx_ns == 0 || nd->retx_ns == UINT64_MAX)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "retransmit"), "retransmit",
				   "must be finite and above 0");
	nd->retries = (uint8_t)retries;
	if ((rc = load_ha(ld, n, nd)) || (rc = load_commit(ld, n, nd)))
		return rc;
	sc->nnodes++;
	return RMC_OK;
}

static int
load_nodes(struct ld *ld, yaml_node_t *seq, enum scn_role role)
{
	const char *field = role == SCN_SERVER ? "servers" : "clients";
	if (!seq)
		return RMC_OK;
	if (seq->type != YAML_SEQUENCE_NODE)
		return scn_rd_fail(&ld->rd, seq, field, "expected a list");
	size_t index = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++, index++) {
		int rc = load_node(ld, scn_rd_item(&ld->rd, *it), role, index);
		if (rc)
			return rc;
	}
	return RMC_OK;
}

static int
push_actions(struct ld *ld, const struct scn_action *a, uint64_t count, uint64_t every,
	     yaml_node_t *n)
{
	struct scenario *sc = ld->sc;
	for (uint64_t k = 0; k < count; k++) {
		if (sc->nactions == ld->action_cap) {
			size_t cap = ld->action_cap * 2 + 16;
			struct scn_action *v = realloc(sc->actions, cap * sizeof(*v));
			if (!v)
				return scn_rd_fail(&ld->rd, n, "timeline", "out of memory");
			sc->actions = v;
			ld->action_cap = cap;
		}
		struct scn_action *b = &sc->actions[sc->nactions++];
		*b = *a;
		b->at = a->at + k * every;
		if (b->at > sc->duration || b->at < a->at)
			return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "count"), "count",
					   "repetition %llu falls after the scenario's duration",
					   (unsigned long long)k + 1);
	}
	return RMC_OK;
}

static int
load_via(struct ld *ld, yaml_node_t *n, enum scn_via *via)
{
	int rc = scn_rd_via(&ld->rd, n, via);
	if (rc)
		return rc;
	if (*via == SCN_VIA_SECURE && !ld->sc->security.enabled)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "via"), "via",
				   "secure needs a security section");
	return RMC_OK;
}

static int
load_cut(struct ld *ld, yaml_node_t *n, struct scn_action *a)
{
	const char *s;
	int rc = scn_rd_str(&ld->rd, n, "nvram_cut", false, &s);
	a->nvram_cut = SCN_CUT_NONE;
	if (rc || !s)
		return rc;
	if (a->verb != SCN_DO_POWER || a->cause != PC_POWER_LOSS)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "nvram_cut"), "nvram_cut",
				   "only a power_loss can cut an NVRAM write");
	if (strcmp(s, "random") == 0) {
		a->nvram_cut = SCN_CUT_RANDOM;
		return RMC_OK;
	}
	uint64_t v;
	if ((rc = scn_rd_uint(&ld->rd, n, "nvram_cut", 0, NVRAM_IMAGE_SIZE, &v)))
		return rc;
	a->nvram_cut = (long)v;
	return RMC_OK;
}

static int
load_action(struct ld *ld, yaml_node_t *n)
{
	static const char *const keys[] = {"at",  "do",	       "server", "client", "cause",
					   "via", "nvram_cut", "every",	 "count",  NULL};
	struct scenario *sc = ld->sc;
	struct scn_action action, *a = &action;
	const char *verb, *s;
	uint64_t every = 0, count = 1;
	int rc = check_keys(ld, n, "timeline", keys);
	if (rc)
		return rc;
	memset(a, 0, sizeof(*a));
	a->line = (int)n->start_mark.line + 1;
	if ((rc = scn_rd_time_or_never(&ld->rd, n, "at", true, &a->at)) ||
	    (rc = scn_rd_str(&ld->rd, n, "do", true, &verb)))
		return rc;
	if (a->at > sc->duration)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "at"), "at",
				   "after the scenario's duration");
	if (strcmp(verb, "power") == 0) {
		a->verb = SCN_DO_POWER;
		bool on_server = scn_rd_get(&ld->rd, n, "server") != NULL;
		a->server = a->client = -1;
		if ((rc = on_server
			      ? scn_rd_node(&ld->rd, n, "server", SCN_RD_SERVER, true, &a->server)
			      : scn_rd_node(&ld->rd, n, "client", SCN_RD_CLIENT, true,
					    &a->client)) ||
		    (rc = scn_rd_str(&ld->rd, n, "cause", true, &s)))
			return rc;
		if (on_server && scn_rd_get(&ld->rd, n, "client"))
			return scn_rd_fail(
			    &ld->rd, scn_rd_get(&ld->rd, n, "client"), "client",
			    "a power event happens to one machine: server or client");
		if (power_cause_parse(s, &a->cause) != 0)
			return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "cause"), "cause",
					   "unknown power cause '%s'", s);
	} else if (strcmp(verb, "discover") == 0) {
		a->verb = SCN_DO_DISCOVER;
		if ((rc = scn_rd_node(&ld->rd, n, "server", SCN_RD_SERVER, true, &a->server)))
			return rc;
		a->client = -1;
	} else if (asf_type_by_word(verb, &a->asf_type) == RMC_OK) {
		a->verb = SCN_DO_ASF;
		if ((rc = scn_rd_node(&ld->rd, n, "server", SCN_RD_SERVER, true, &a->server)) ||
		    (rc = scn_rd_node(&ld->rd, n, "client", SCN_RD_CLIENT, true, &a->client)))
			return rc;
	} else {
		return scn_rd_fail(
		    &ld->rd, scn_rd_get(&ld->rd, n, "do"), "do",
		    "unknown action '%s' (discover, power, inject, ike_peer, or an ASF "
		    "request/command such as system_state_request, reset)",
		    verb);
	}
	if ((rc = load_via(ld, n, &a->via)) || (rc = load_cut(ld, n, a)))
		return rc;
	if (a->via != SCN_VIA_DEFAULT && a->verb == SCN_DO_POWER)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "via"), "via",
				   "a power event does not travel the network");
	if ((rc = scn_rd_time_or_never(&ld->rd, n, "every", false, &every)) ||
	    (rc = scn_rd_uint(&ld->rd, n, "count", 1, 1000000, &count)))
		return rc;
	if ((scn_rd_get(&ld->rd, n, "every") != NULL) != (scn_rd_get(&ld->rd, n, "count") != NULL))
		return scn_rd_fail(&ld->rd, n, scn_rd_get(&ld->rd, n, "every") ? "count" : "every",
				   "every and count go together");
	return push_actions(ld, a, count, every, n);
}

const char *
scn_msg_name(const struct scn_pattern *p)
{
	return scn_msg_word(&p->msg);
}

static int
load_pattern(struct ld *ld, yaml_node_t *n, struct scn_pattern *p)
{
	static const char *const keys[] = {"from", "to",    "msg",    "port", "via",
					   "sa",   "after", "before", NULL};
	const char *s;
	uint64_t sa = 0;
	int rc = check_keys(ld, n, "message", keys);
	if (rc)
		return rc;
	*p = (struct scn_pattern){.from = -1,
				  .to = -1,
				  .msg = {0, -1},
				  .port = -1,
				  .before = UINT64_MAX,
				  .line = (int)n->start_mark.line + 1};
	if ((rc = scn_rd_uint(&ld->rd, n, "sa", 1, 1000000, &sa)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "after", false, &p->after)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "before", false, &p->before)))
		return rc;
	p->sa = (unsigned)sa;
	if ((rc = scn_rd_node(&ld->rd, n, "from", SCN_RD_NODE, false, &p->from)) ||
	    (rc = scn_rd_node(&ld->rd, n, "to", SCN_RD_NODE, false, &p->to)) ||
	    (rc = scn_rd_msg(&ld->rd, n, true, &p->msg)))
		return rc;
	if ((rc = scn_rd_str(&ld->rd, n, "port", false, &s)))
		return rc;
	if (s) {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end || v < 0 || v > 65535)
			return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "port"), "port",
					   "bad UDP port '%s'", s);
		p->port = (int)v;
	}
	return load_via(ld, n, &p->via);
}

static int
load_patterns(struct ld *ld, yaml_node_t *n, const char *field, struct scn_expect *e)
{
	if (n->type == YAML_MAPPING_NODE) {
		e->npat = 1;
		return load_pattern(ld, n, &e->pat[0]);
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return scn_rd_fail(&ld->rd, n, field, "expected a message or a list of messages");
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		if (e->npat == SCN_MAX_PATTERNS)
			return scn_rd_fail(&ld->rd, n, field, "more than %d messages",
					   SCN_MAX_PATTERNS);
		int rc = load_pattern(ld, scn_rd_item(&ld->rd, *it), &e->pat[e->npat++]);
		if (rc)
			return rc;
	}
	return RMC_OK;
}

/* {client, in_sync: true|false} or {client, sas: N}: judged from node state at the end. */
static int
load_sa_expect(struct ld *ld, yaml_node_t *n, struct scn_expect *e)
{
	if (n->data.mapping.pairs.top - n->data.mapping.pairs.start !=
	    2 + (scn_rd_get(&ld->rd, n, "req") != NULL))
		return scn_rd_fail(&ld->rd, n, scn_rd_get(&ld->rd, n, "sas") ? "sas" : "in_sync",
				   "goes with client only, in its own expectation");
	if (scn_rd_get(&ld->rd, n, "sas")) {
		e->kind = SCN_EXPECT_SAS;
		return scn_rd_uint(&ld->rd, n, "sas", 0, 1000000, &e->count);
	}
	e->kind = SCN_EXPECT_IN_SYNC;
	return scn_rd_bool(&ld->rd, n, "in_sync", &e->in_sync);
}

static int
req_tag(struct ld *ld, yaml_node_t *n, struct scn_expect *e)
{
	const char *s = scn_rd_scalar(n);
	if (!s || !*s)
		return scn_rd_fail(&ld->rd, n, "req", "expected a requirement id");
	int k = req_index(s);
	if (k < 0)
		return scn_rd_fail(&ld->rd, n, "req", "unknown requirement '%s'", s);
	for (size_t i = 0; i < e->nreq; i++)
		if (e->req[i] == k)
			return scn_rd_fail(&ld->rd, n, "req", "'%s' given twice", s);
	if (e->nreq == SCN_MAX_REQ_TAGS)
		return scn_rd_fail(&ld->rd, n, "req", "more than %d requirements",
				   SCN_MAX_REQ_TAGS);
	e->req[e->nreq++] = (uint8_t)k;
	return RMC_OK;
}

/* `req: ID` or `req: [ID, ...]`, checked against the catalogue (sim/req.h). */
static int
load_req_tags(struct ld *ld, yaml_node_t *n, struct scn_expect *e)
{
	if (!n)
		return RMC_OK;
	if (n->type != YAML_SEQUENCE_NODE)
		return req_tag(ld, n, e);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		int rc = req_tag(ld, scn_rd_item(&ld->rd, *it), e);
		if (rc)
			return rc;
	}
	if (e->nreq == 0)
		return scn_rd_fail(&ld->rd, n, "req", "an empty list");
	return RMC_OK;
}

/* The expectation line that checks requirement k, or 0. */
static int
checked_at(const struct scenario *sc, int k)
{
	for (size_t i = 0; i < sc->nexpects; i++)
		for (size_t j = 0; j < sc->expects[i].nreq; j++)
			if (sc->expects[i].req[j] == k)
				return sc->expects[i].line;
	return 0;
}

/* `not_applicable: {ID: reason, ...}`: never for a requirement an expectation checks. */
static int
load_not_applicable(struct ld *ld, yaml_node_t *n)
{
	if (!n)
		return RMC_OK;
	if (n->type != YAML_MAPPING_NODE)
		return scn_rd_fail(&ld->rd, n, "not_applicable",
				   "expected a mapping REQ-ID: reason");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = scn_rd_item(&ld->rd, p->key),
			    *vn = scn_rd_item(&ld->rd, p->value);
		const char *id = scn_rd_scalar(kn), *why = scn_rd_scalar(vn);
		int k = id ? req_index(id) : -1;
		if (k < 0)
			return scn_rd_fail(&ld->rd, kn, "not_applicable",
					   "unknown requirement '%s'", id ? id : "");
		if (!why || !*why)
			return scn_rd_fail(&ld->rd, vn, "not_applicable", "'%s' needs a reason",
					   id);
		if (checked_at(ld->sc, k))
			return scn_rd_fail(&ld->rd, kn, "not_applicable",
					   "'%s' is checked by the expectation at line %d", id,
					   checked_at(ld->sc, k));
		if (ld->sc->na[k].line)
			return scn_rd_fail(&ld->rd, kn, "not_applicable", "'%s' given twice", id);
		ld->sc->na[k].line = (int)kn->start_mark.line + 1;
		snprintf(ld->sc->na[k].reason, sizeof(ld->sc->na[k].reason), "%s", why);
	}
	return RMC_OK;
}

/*
 * `executed: CMD` (at least once; `times: N` exactly N, 0 for never) or
 * `not_executed: CMD` (never), counted within [after, before) when given.
 */
static int
load_executed(struct ld *ld, yaml_node_t *n, struct scn_expect *e)
{
	const char *s,
	    *field = scn_rd_get(&ld->rd, n, "not_executed") ? "not_executed" : "executed";
	int rc;
	if (scn_rd_get(&ld->rd, n, "executed") && scn_rd_get(&ld->rd, n, "not_executed"))
		return scn_rd_fail(&ld->rd, n, "not_executed",
				   "executed or not_executed, not both");
	if ((rc = scn_rd_str(&ld->rd, n, field, true, &s)))
		return rc;
	e->kind = SCN_EXPECT_EXECUTED;
	if (asf_type_by_word(s, &e->asf_type) != RMC_OK || e->asf_type < ASF_RESET ||
	    e->asf_type > ASF_POWER_CYCLE)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, field), field,
				   "not a command: '%s'", s);
	/* times: exactly this often (0 = never); without it, at least once */
	if ((rc = scn_rd_uint(&ld->rd, n, "times", 0, 1000000, &e->count)))
		return rc;
	e->exact = scn_rd_get(&ld->rd, n, "times") != NULL;
	if (strcmp(field, "not_executed") == 0) {
		if (e->exact)
			return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "times"), "times",
					   "not_executed means times: 0");
		e->exact = true;
		e->count = 0;
	}
	e->before = UINT64_MAX;
	if ((rc = scn_rd_time(&ld->rd, n, "after", false, &e->after)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "before", false, &e->before)))
		return rc;
	if (e->after >= e->before)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "before"), "before",
				   "an empty window: before must come after after");
	return RMC_OK;
}

/* `no_answer: INJECTION` or `answered_under: active|previous|clear` with `request: INJECTION`. */
static int
load_answer_expect(struct ld *ld, yaml_node_t *n, struct scn_expect *e)
{
	static const char *const under[] = {[SCN_UNDER_ACTIVE] = "active",
					    [SCN_UNDER_PREVIOUS] = "previous",
					    [SCN_UNDER_CLEAR] = "clear"};
	bool none = scn_rd_get(&ld->rd, n, "no_answer") != NULL;
	const char *field = none ? "no_answer" : "request", *name, *s;
	size_t want = 1 + !none + (scn_rd_get(&ld->rd, n, "req") != NULL);
	int rc;
	if ((rc = scn_rd_str(&ld->rd, n, field, true, &name)))
		return rc;
	if ((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) != want)
		return scn_rd_fail(&ld->rd, n, none ? "no_answer" : "answered_under",
				   none ? "stands alone in its expectation (with req)"
					: "goes with request only (and req)");
	e->inject = scenario_inject(ld->sc, name);
	e->peer = none && e->inject < 0 ? scenario_ike_peer(ld->sc, name) : -1;
	if (e->inject < 0 && e->peer < 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, field), field,
				   none ? "no injection or IKE peer named '%s' in the timeline"
					: "no injection named '%s' in the timeline",
				   name);
	e->node =
	    e->inject >= 0 ? ld->sc->injects[e->inject].to : ld->sc->ike_peers[e->peer].client;
	e->kind = none ? SCN_EXPECT_NO_ANSWER : SCN_EXPECT_ANSWERED;
	if (none)
		return RMC_OK;
	if ((rc = scn_rd_str(&ld->rd, n, "answered_under", true, &s)))
		return rc;
	for (size_t i = 0; i < sizeof(under) / sizeof(under[0]); i++)
		if (strcmp(s, under[i]) == 0) {
			e->under = (enum scn_under)i;
			return RMC_OK;
		}
	return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "answered_under"), "answered_under",
			   "expected active, previous or clear, got '%s'", s);
}

/* How many of these keys the mapping n holds. */
static size_t
present(struct ld *ld, yaml_node_t *n, const char *const *keys)
{
	size_t k = 0;
	for (; *keys; keys++)
		k += scn_rd_get(&ld->rd, n, *keys) != NULL;
	return k;
}

/*
 * `{client, refreshed: on_schedule}`, with `slack` (default 1 s) and a window
 * `after`/`before` (docs/users/scenarios.md): judged from the client's commits
 * on the wire, so it needs SAs that IKE makes and the handshake commits.
 */
static int
load_refreshed_expect(struct ld *ld, yaml_node_t *n, struct scn_expect *e)
{
	static const char *const with[] = {"client", "refreshed", "slack", "after",
					   "before", "req",	  NULL};
	const struct scenario *sc = ld->sc;
	const char *s;
	int rc;
	if ((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) !=
	    present(ld, n, with))
		return scn_rd_fail(&ld->rd, n, "refreshed",
				   "goes with client, slack, after and before only (and req)");
	if ((rc = scn_rd_str(&ld->rd, n, "refreshed", true, &s)))
		return rc;
	if (strcmp(s, "on_schedule") != 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "refreshed"), "refreshed",
				   "expected on_schedule, got '%s'", s);
	if (!sc->security.ike)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "refreshed"), "refreshed",
				   "needs security with key_exchange: ike (a provisioned SA is "
				   "never refreshed)");
	if (sc->nodes[e->node].no_commit)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "refreshed"), "refreshed",
				   "needs a client with the commit handshake: its SA_CONFIRMs "
				   "time the refreshes");
	e->kind = SCN_EXPECT_REFRESHED;
	e->slack = NS_PER_S;
	e->before = UINT64_MAX;
	if ((rc = scn_rd_time(&ld->rd, n, "slack", false, &e->slack)) ||
	    (rc = scn_rd_time(&ld->rd, n, "after", false, &e->after)) ||
	    (rc = scn_rd_time_or_never(&ld->rd, n, "before", false, &e->before)))
		return rc;
	if (e->after >= e->before)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "before"), "before",
				   "an empty window: before must come after after");
	return RMC_OK;
}

/* `refused_with: NOTIFY` with `exchange: IKE_PEER`: the notification the peer refused it with. */
static int
load_refused_expect(struct ld *ld, yaml_node_t *n, struct scn_expect *e)
{
	const char *word, *name;
	int rc;
	if ((rc = scn_rd_str(&ld->rd, n, "refused_with", true, &word)) ||
	    (rc = scn_rd_str(&ld->rd, n, "exchange", true, &name)))
		return rc;
	if ((size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) !=
	    2 + (scn_rd_get(&ld->rd, n, "req") != NULL))
		return scn_rd_fail(&ld->rd, n, "refused_with", "goes with exchange only (and req)");
	if ((e->peer = scenario_ike_peer(ld->sc, name)) < 0)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "exchange"), "exchange",
				   "no IKE peer named '%s' in the timeline", name);
	e->inject = -1;
	e->node = ld->sc->ike_peers[e->peer].client;
	e->kind = SCN_EXPECT_REFUSED;
	/* the one table of notification names: proto/ikev2.c */
	for (unsigned t = 1; t <= IKEV2_N_ERROR_MAX; t++)
		if (strcmp(ikev2_notify_name((uint16_t)t), word) == 0) {
			e->notify = (uint16_t)t;
			return RMC_OK;
		}
	return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "refused_with"), "refused_with",
			   "not an IKEv2 error notification (RFC 7296 §3.10.1): '%s'", word);
}

static int
load_expect(struct ld *ld, yaml_node_t *n)
{
	static const char *const keys[] = {
	    "client",	"power",     "executed",       "not_executed", "times",
	    "after",	"before",    "seen",	       "not_seen",     "in_sync",
	    "sas",	"no_answer", "answered_under", "request",      "refused_with",
	    "exchange", "req",	     "refreshed",      "slack",	       NULL};
	struct scenario *sc = ld->sc;
	struct scn_expect *e = &sc->expects[sc->nexpects];
	const char *s;
	yaml_node_t *v;
	int rc = check_keys(ld, n, "expect", keys);
	if (rc)
		return rc;
	memset(e, 0, sizeof(*e));
	e->line = (int)n->start_mark.line + 1;
	e->node = -1;
	if (scn_rd_get(&ld->rd, n, "no_answer") || scn_rd_get(&ld->rd, n, "answered_under")) {
		rc = load_answer_expect(ld, n, e);
	} else if (scn_rd_get(&ld->rd, n, "refused_with")) {
		rc = load_refused_expect(ld, n, e);
	} else if ((v = scn_rd_get(&ld->rd, n, "seen")) ||
		   (v = scn_rd_get(&ld->rd, n, "not_seen"))) {
		const char *field = scn_rd_get(&ld->rd, n, "seen") ? "seen" : "not_seen";
		if (n->data.mapping.pairs.top - n->data.mapping.pairs.start !=
		    1 + (scn_rd_get(&ld->rd, n, "req") != NULL))
			return scn_rd_fail(&ld->rd, n, field, "stands alone in its expectation");
		e->kind = strcmp(field, "seen") == 0 ? SCN_EXPECT_SEEN : SCN_EXPECT_NOT_SEEN;
		rc = load_patterns(ld, v, field, e);
	} else {
		if ((rc = scn_rd_node(&ld->rd, n, "client", SCN_RD_CLIENT, true, &e->node)))
			return rc;
		if ((rc = scn_rd_str(&ld->rd, n, "power", false, &s)))
			return rc;
		if (scn_rd_get(&ld->rd, n, "refreshed")) {
			rc = load_refreshed_expect(ld, n, e);
		} else if (scn_rd_get(&ld->rd, n, "in_sync") || scn_rd_get(&ld->rd, n, "sas")) {
			rc = load_sa_expect(ld, n, e);
		} else if (s) {
			e->kind = SCN_EXPECT_POWER;
			if (power_state_parse(s, &e->power) != 0)
				return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "power"),
						   "power", "unknown power state '%s'", s);
			if (scn_rd_get(&ld->rd, n, "executed"))
				return scn_rd_fail(
				    &ld->rd, scn_rd_get(&ld->rd, n, "executed"), "executed",
				    "give power and executed as separate expectations");
		} else {
			rc = load_executed(ld, n, e);
		}
	}
	if (!rc && e->kind != SCN_EXPECT_EXECUTED && e->kind != SCN_EXPECT_REFRESHED &&
	    (scn_rd_get(&ld->rd, n, "after") || scn_rd_get(&ld->rd, n, "before")))
		return scn_rd_fail(&ld->rd, n, scn_rd_get(&ld->rd, n, "after") ? "after" : "before",
				   "a window goes with executed, not_executed or refreshed");
	if (!rc && e->kind != SCN_EXPECT_REFRESHED && scn_rd_get(&ld->rd, n, "slack"))
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, n, "slack"), "slack",
				   "goes with refreshed");
	if (!rc)
		rc = load_req_tags(ld, scn_rd_get(&ld->rd, n, "req"), e);
	if (!rc)
		sc->nexpects++;
	return rc;
}

static int
load_list(struct ld *ld, yaml_node_t *seq, const char *field,
	  int (*one)(struct ld *, yaml_node_t *))
{
	if (!seq)
		return RMC_OK;
	if (seq->type != YAML_SEQUENCE_NODE)
		return scn_rd_fail(&ld->rd, seq, field, "expected a list");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		int rc = one(ld, scn_rd_item(&ld->rd, *it));
		if (rc)
			return rc;
	}
	return RMC_OK;
}

static int
by_time(const void *a, const void *b)
{
	const struct scn_action *x = a, *y = b;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line; /* file order breaks ties */
}

/*
 * Items must be written in time order; repetitions (every/count) then
 * interleave, so the expanded list is sorted by (time, line) — a total
 * order, so the run does not depend on qsort's stability.
 */
static int
load_timeline(struct ld *ld, yaml_node_t *tl)
{
	uint64_t last = 0;
	if (!tl)
		return RMC_OK;
	if (tl->type != YAML_SEQUENCE_NODE)
		return scn_rd_fail(&ld->rd, tl, "timeline", "expected a list");
	for (yaml_node_item_t *it = tl->data.sequence.items.start; it < tl->data.sequence.items.top;
	     it++) {
		size_t before = ld->sc->nactions;
		yaml_node_t *item = scn_rd_item(&ld->rd, *it);
		const char *verb = scn_rd_scalar(scn_rd_get(&ld->rd, item, "do"));
		if (verb && strcmp(verb, "inject") == 0) {
			/* the adversary's frames keep their own list, timed or at commit steps */
			int rc = scenario_load_inject(&ld->rd, item, ld->sc);
			if (rc)
				return rc;
			continue;
		}
		if (verb && strcmp(verb, "ike_peer") == 0) {
			int rc = scenario_load_ike_peer(&ld->rd, item, ld->sc);
			if (rc)
				return rc;
			continue;
		}
		int rc = load_action(ld, item);
		if (rc)
			return rc;
		if (ld->sc->actions[before].at < last)
			return scn_rd_fail(&ld->rd,
					   scn_rd_get(&ld->rd, scn_rd_item(&ld->rd, *it), "at"),
					   "at", "timeline goes back in time");
		last = ld->sc->actions[before].at;
	}
	qsort(ld->sc->actions, ld->sc->nactions, sizeof(*ld->sc->actions), by_time);
	return RMC_OK;
}

static size_t
count(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		   ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
		   : 0;
}

/* One primary for at most one secondary, and a secondary never alone. */
static int
check_ha(struct ld *ld, yaml_node_t *srv)
{
	int n[3] = {0, 0, 0};
	const struct scn_node *second = NULL;
	for (size_t i = 0; i < ld->sc->nnodes; i++)
		if (ld->sc->nodes[i].role == SCN_SERVER) {
			n[ld->sc->nodes[i].ha]++;
			if (ld->sc->nodes[i].ha == 2)
				second = &ld->sc->nodes[i];
		}
	if (n[1] > 1 || n[2] > 1 || (n[1] && n[0]) || (n[2] && n[0]))
		return scn_rd_fail(
		    &ld->rd, srv, "role",
		    "failover takes exactly one primary and one secondary, and no other "
		    "server");
	if (second && !n[1]) {
		snprintf(ld->rd.err, ld->rd.errlen,
			 "%s:%d: field 'role': a secondary needs a primary to watch", ld->rd.path,
			 second->line);
		return RMC_EINVAL;
	}
	return RMC_OK;
}

static int
load_root(struct ld *ld, yaml_node_t *root)
{
	static const char *const keys[] = {"name",     "seed",	  "duration",	    "link",
					   "security", "servers", "clients",	    "timeline",
					   "expect",   "faults",  "not_applicable", NULL};
	struct scenario *sc = ld->sc;
	const char *s;
	int rc = check_keys(ld, root, "scenario", keys);
	if (rc)
		return rc;
	if ((rc = scn_rd_str(&ld->rd, root, "name", true, &s)))
		return rc;
	snprintf(sc->name, sizeof(sc->name), "%s", s);
	if ((rc = scn_rd_str(&ld->rd, root, "seed", false, &s)))
		return rc;
	if (s) {
		if (rng_seed_parse(s, &sc->seed))
			return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, root, "seed"), "seed",
					   "not an integer from 0 to 2^63-1");
		sc->has_seed = true;
	}
	if ((rc = scn_rd_time_or_never(&ld->rd, root, "duration", true, &sc->duration)))
		return rc;
	if (sc->duration == UINT64_MAX)
		return scn_rd_fail(&ld->rd, scn_rd_get(&ld->rd, root, "duration"), "duration",
				   "must be finite");
	sc->link = (struct lan_port_cfg){
	    .latency_ns = 5 * NS_PER_US, .bits_per_s = 1000000000ULL, .mtu = 1500};
	yaml_node_t *link = scn_rd_get(&ld->rd, root, "link");
	if (link && (rc = load_link(ld, link)))
		return rc;
	sc->security = (struct scn_security){.replay_window = 64,
					     .reservation = NVRAM_DEFAULT_RESERVATION,
					     .clear_allowed = true,
					     .clear_port = 623,
					     .clear_msgs = ASF_CLEAR_ALL_MSGS,
					     .profile = COMMIT_ROBUST,
					     .timing = commit_timing_default(),
					     .lifetime = UINT64_MAX};
	yaml_node_t *sec = scn_rd_get(&ld->rd, root, "security");
	if (sec && (rc = load_security(ld, sec)))
		return rc;

	yaml_node_t *srv = scn_rd_get(&ld->rd, root, "servers"),
		    *cli = scn_rd_get(&ld->rd, root, "clients");
	yaml_node_t *tl = scn_rd_get(&ld->rd, root, "timeline"),
		    *ex = scn_rd_get(&ld->rd, root, "expect");
	sc->nodes = calloc(count(srv) + count(cli) + 1, sizeof(*sc->nodes));
	ld->action_cap = count(tl) + 1;
	sc->actions = calloc(ld->action_cap, sizeof(*sc->actions));
	sc->expects = calloc(count(ex) + 1, sizeof(*sc->expects));
	sc->injects = calloc(count(tl) + 1, sizeof(*sc->injects));
	sc->ike_peers = calloc(count(tl) + 1, sizeof(*sc->ike_peers));
	if (!sc->nodes || !sc->actions || !sc->expects || !sc->injects || !sc->ike_peers)
		return scn_rd_fail(&ld->rd, root, "scenario", "out of memory");
	if ((rc = load_nodes(ld, srv, SCN_SERVER)) || (rc = load_nodes(ld, cli, SCN_CLIENT)))
		return rc;
	if (sc->nnodes == 0)
		return scn_rd_fail(&ld->rd, root, "servers", "a scenario needs at least one node");
	if ((rc = check_ha(ld, srv)))
		return rc;
	if ((rc = load_timeline(ld, tl)))
		return rc;
	if ((rc = scenario_load_faults(&ld->rd, scn_rd_get(&ld->rd, root, "faults"), sc)))
		return rc;
	if ((rc = load_list(ld, ex, "expect", load_expect)))
		return rc;
	return load_not_applicable(ld, scn_rd_get(&ld->rd, root, "not_applicable"));
}

int
scenario_load(const char *path, struct scenario *sc, char *err, size_t errlen)
{
	struct ld ld = {.sc = sc};
	ld.rd =
	    (struct scn_rd){.doc = &ld.doc, .path = path, .err = err, .errlen = errlen, .sc = sc};
	yaml_parser_t parser;
	int rc = RMC_OK;

	memset(sc, 0, sizeof(*sc));
	snprintf(sc->path, sizeof(sc->path), "%s", path);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return RMC_EIO;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &ld.doc)) {
		snprintf(err, errlen, "%s:%lu: YAML syntax: %s", path,
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "unreadable");
		yaml_parser_delete(&parser);
		fclose(f);
		return RMC_EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&ld.doc);
	if (!root)
		rc = scn_rd_fail(&ld.rd, NULL, "scenario", "the file is empty");
	else
		rc = load_root(&ld, root);
	yaml_document_delete(&ld.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc)
		scenario_free(sc);
	return rc;
}

void
scenario_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->nodes);
	free(sc->actions);
	free(sc->expects);
	free(sc->injects);
	free(sc->ike_peers);
	free(sc->faults);
	sc->faults = NULL;
	sc->nfaults = 0;
	sc->nodes = NULL;
	sc->actions = NULL;
	sc->expects = NULL;
	sc->injects = NULL;
	sc->ike_peers = NULL;
	sc->nnodes = sc->nactions = sc->nexpects = sc->ninjects = sc->nike_peers = 0;
}

int
scenario_node(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->nnodes; i++)
		if (strcmp(sc->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}

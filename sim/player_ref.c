/*
 * The reference implementation as a player (sim/player.h): the emulated
 * client (host + NIC) and management server of nodes/, stepped in this
 * process; and the player of a node that runs elsewhere (`rmcpsec node`
 * runs one node, its peers are other processes).
 */
#include "sim/player.h"

#include <string.h>

#include "proto/err.h"
#include "sim/json_out.h"
#include "sim/rng.h"
#include "sim/run_int.h"

/* ---- the client ---- */

static void
client_start(struct simnode *sn, uint64_t now, struct node_out *out)
{
	(void)sn, (void)now, (void)out; /* a client waits for its server */
}

static void
client_frame(struct simnode *sn, uint64_t now, const uint8_t *frame, size_t len,
	     struct node_out *out)
{
	client_on_frame(&sn->u.c, now, frame, len, out);
}

static void
client_timer(struct simnode *sn, uint64_t now, uint32_t id, struct node_out *out)
{
	client_on_timer(&sn->u.c, now, id, out);
}

static int
client_power(struct simnode *sn, uint64_t now, enum power_cause cause, struct node_out *out)
{
	return client_power_event(&sn->u.c, now, cause, out);
}

/* The timeline's power event for the client; a cut waits for the NIC's next NVRAM write. */
static void
client_act(struct simnode *sn, uint64_t now, const struct scn_action *a, struct node_out *out)
{
	struct run *r = sn->run;
	if (a->nvram_cut == SCN_CUT_NONE) {
		client_power_event(&sn->u.c, now, a->cause, out);
		return;
	}
	size_t n = a->nvram_cut == SCN_CUT_RANDOM ? rng_below(&r->rng, 32) : (size_t)a->nvram_cut;
	client_arm_nvram_cut(&sn->u.c, n);
	run_note(r, sn->idx, "power will fail during the next NVRAM write");
}

static bool
client_fault(struct simnode *sn, uint64_t now, const struct fault_rule *f, bool recover,
	     struct node_out *out)
{
	enum power_cause cause;
	if (f->action == FAULT_POWER_LOSS && f->nvram_byte >= 0) {
		client_arm_nvram_cut(&sn->u.c, (size_t)f->nvram_byte);
		return true;
	}
	if (f->action == FAULT_HANG)
		cause = recover ? PC_RESET : PC_OS_HANG;
	else
		cause = recover ? PC_POWER_RESTORE : PC_POWER_LOSS; /* crash, power_loss */
	client_power_event(&sn->u.c, now, cause, out);
	return true;
}

static bool
no_clients(const struct simnode *sn, size_t nth, const char *client, uint32_t *spi)
{
	(void)sn, (void)nth, (void)client;
	*spi = 0;
	return false;
}

static void
client_snapshot(const struct simnode *sn, struct node_snap *s)
{
	const struct client *c = &sn->u.c;
	memset(s, 0, sizeof(*s));
	s->has_power = s->has_executed = s->has_commits = s->has_sa = s->has_exec_times = true;
	s->power = c->power;
	memcpy(s->executed, c->st.executed, sizeof(s->executed));
	s->commits = c->st.commits;
	s->spi_in = client_active_spi(c);
	s->spi_also[0] = c->cm.cur_spi;
	s->spi_also[1] = c->cm.profile == COMMIT_ROBUST ? c->cm.prev_spi : 0;
	s->nic_alive = power_caps(c->power).nic_alive;
	s->label = "";
}

struct counter {
	const char *name;
	uint64_t value;
};

static json_t *
counters_json(const struct counter *c, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++)
		if (json_object_set_new(o, c[i].name, json_u64(c[i].value))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *
mac_json(const uint8_t m[6])
{
	char s[18];
	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return json_string(s);
}

static json_t *
ip_json(uint32_t ip)
{
	char s[16];
	snprintf(s, sizeof(s), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		 ip & 0xff);
	return json_string(s);
}

static int
client_describe(const struct simnode *sn, json_t *node)
{
	const struct client_stats *st = &sn->u.c.st;
	const struct counter c[] = {
	    {"rx_frames", st->rx_frames},
	    {"malformed", st->malformed},
	    {"rmcp_rx", st->rmcp_rx},
	    {"secure_rx", st->secure_rx},
	    {"ipsec_rejected", st->ipsec_rejected},
	    {"clear_refused", st->clear_refused},
	    {"commands_executed", st->commands_executed},
	    {"commands_refused", st->commands_refused},
	    {"nvram_power_cuts", st->nvram_power_cuts},
	    {"seq_unavailable", st->seq_unavailable},
	};
	const struct scn_node *nd = &sn->run->sc->nodes[sn->idx];
	if (json_object_set_new(node, "mac", mac_json(nd->mac)) ||
	    json_object_set_new(node, "ip", ip_json(nd->ip)) ||
	    json_object_set_new(node, "role", json_string("client")) ||
	    json_object_set_new(node, "power", json_string(power_state_name(sn->u.c.power))) ||
	    json_object_set_new(node, "stats", counters_json(c, sizeof(c) / sizeof(c[0]))))
		return RMC_ENOMEM;
	return RMC_OK;
}

static int
nothing_to_init(struct simnode *sn, uint16_t ip_id, uint8_t first_seq)
{
	(void)sn, (void)ip_id, (void)first_seq;
	return RMC_OK;
}

static int
nothing_to_begin(struct simnode *sn, char *err, size_t errlen)
{
	(void)sn, (void)err, (void)errlen;
	return RMC_OK;
}

static int
nothing_to_finish(struct simnode *sn, char *err, size_t errlen)
{
	(void)sn, (void)err, (void)errlen;
	return RMC_OK;
}

static void
client_fini_player(struct simnode *sn)
{
	client_fini(&sn->u.c);
}

const struct player_ops player_ref_client = {
    .init = run_setup_client,
    .begin = nothing_to_begin,
    .start = client_start,
    .frame = client_frame,
    .timer = client_timer,
    .power = client_power,
    .act = client_act,
    .fault = client_fault,
    .client_spi = no_clients,
    .snapshot = client_snapshot,
    .describe = client_describe,
    .finish = nothing_to_finish,
    .fini = client_fini_player,
};

/* ---- the server ---- */

static void
server_start_player(struct simnode *sn, uint64_t now, struct node_out *out)
{
	server_start(&sn->u.s, now, out);
}

static void
server_frame(struct simnode *sn, uint64_t now, const uint8_t *frame, size_t len,
	     struct node_out *out)
{
	server_on_frame(&sn->u.s, now, frame, len, out);
}

static void
server_timer(struct simnode *sn, uint64_t now, uint32_t id, struct node_out *out)
{
	server_on_timer(&sn->u.s, now, id, out);
}

static int
server_power(struct simnode *sn, uint64_t now, enum power_cause cause, struct node_out *out)
{
	return server_power_event(&sn->u.s, now, cause, out);
}

/* A timeline action of the server: a power event, discovery, or one request or command. */
static void
server_act(struct simnode *sn, uint64_t now, const struct scn_action *a, struct node_out *out)
{
	const struct scenario *sc = sn->run->sc;
	struct server *s = &sn->u.s;
	if (a->verb == SCN_DO_POWER) {
		server_power_event(s, now, a->cause, out);
		return;
	}
	enum server_via via = a->via == SCN_VIA_SECURE	? SERVER_VIA_SECURE
			      : a->via == SCN_VIA_CLEAR ? SERVER_VIA_CLEAR
			      : sc->security.enabled	? SERVER_VIA_AUTO
							: SERVER_VIA_CLEAR;
	if (a->verb == SCN_DO_DISCOVER) {
		for (size_t i = 0; i < s->nclients; i++)
			server_send(s, now, i, ASF_PRESENCE_PING, via, out);
		return;
	}
	int ci = server_find_client(s, sc->nodes[a->client].name);
	if (ci >= 0 && server_send(s, now, (size_t)ci, a->asf_type, via, out) != RMC_OK)
		run_note(sn->run, sn->idx, "could not send: no usable SA and no clear mode");
}

/* A crash or hang, or the way back up: power, firmware, OS; what it knew comes from its store. */
static bool
server_fault(struct simnode *sn, uint64_t now, const struct fault_rule *f, bool recover,
	     struct node_out *out)
{
	static const enum power_cause crash_back[] = {PC_POWER_RESTORE, PC_POWER_UP,
						      PC_BOOT_COMPLETE};
	static const enum power_cause hang_back[] = {PC_RESET, PC_BOOT_COMPLETE};
	bool crash = f->action == FAULT_CRASH;
	if (!recover) {
		server_power_event(&sn->u.s, now, crash ? PC_POWER_LOSS : PC_OS_HANG, out);
		return true;
	}
	const enum power_cause *c = crash ? crash_back : hang_back;
	size_t n = crash ? 3 : 2;
	for (size_t i = 0; i < n; i++)
		server_power_event(&sn->u.s, now, c[i], out);
	return true;
}

static bool
server_spi_for(const struct simnode *sn, size_t nth, const char *client, uint32_t *spi)
{
	const struct server *s = &sn->u.s;
	/* the inventory lists the scenario's clients in order: the nth is the one, or look */
	int ci = nth < s->nclients && strcmp(s->clients[nth].name, client) == 0
		     ? (int)nth
		     : server_find_client(s, client);
	*spi = ci >= 0 ? server_client_spi(s, (size_t)ci) : 0;
	return true;
}

static void
server_snapshot(const struct simnode *sn, struct node_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->has_power = true;
	s->power = sn->u.s.power;
	s->serving = sn->u.s.active && server_running(&sn->u.s);
	s->takeovers = sn->u.s.st.takeovers;
	s->label = "";
}

static int
server_describe(const struct simnode *sn, json_t *node)
{
	const struct server_stats *st = &sn->u.s.st;
	const struct counter c[] = {
	    {"rx_frames", st->rx_frames},
	    {"malformed", st->malformed},
	    {"sent", st->sent},
	    {"resent", st->resent},
	    {"gave_up", st->gave_up},
	    {"secure_rx", st->secure_rx},
	    {"ipsec_rejected", st->ipsec_rejected},
	    {"queue_full", st->queue_full},
	};
	const struct scn_node *nd = &sn->run->sc->nodes[sn->idx];
	if (json_object_set_new(node, "mac", mac_json(nd->mac)) ||
	    json_object_set_new(node, "ip", ip_json(nd->ip)) ||
	    json_object_set_new(node, "role", json_string("server")) ||
	    json_object_set_new(node, "stats", counters_json(c, sizeof(c) / sizeof(c[0]))))
		return RMC_ENOMEM;
	return RMC_OK;
}

static void
server_fini_player(struct simnode *sn)
{
	server_fini(&sn->u.s);
}

const struct player_ops player_ref_server = {
    .init = run_setup_server,
    .begin = nothing_to_begin,
    .start = server_start_player,
    .frame = server_frame,
    .timer = server_timer,
    .power = server_power,
    .act = server_act,
    .fault = server_fault,
    .client_spi = server_spi_for,
    .snapshot = server_snapshot,
    .describe = server_describe,
    .finish = nothing_to_finish,
    .fini = server_fini_player,
};

/* ---- a node that runs in another process ---- */

static void
away_start(struct simnode *sn, uint64_t now, struct node_out *out)
{
	(void)sn, (void)now, (void)out;
}

static void
away_frame(struct simnode *sn, uint64_t now, const uint8_t *frame, size_t len, struct node_out *out)
{
	(void)sn, (void)now, (void)frame, (void)len, (void)out;
}

static void
away_timer(struct simnode *sn, uint64_t now, uint32_t id, struct node_out *out)
{
	(void)sn, (void)now, (void)id, (void)out;
}

static int
away_power(struct simnode *sn, uint64_t now, enum power_cause cause, struct node_out *out)
{
	(void)sn, (void)now, (void)cause, (void)out;
	return RMC_EUNSUP;
}

static void
away_act(struct simnode *sn, uint64_t now, const struct scn_action *a, struct node_out *out)
{
	(void)sn, (void)now, (void)a, (void)out;
}

static bool
away_fault(struct simnode *sn, uint64_t now, const struct fault_rule *f, bool recover,
	   struct node_out *out)
{
	(void)sn, (void)now, (void)f, (void)recover, (void)out;
	return false;
}

static void
away_snapshot(const struct simnode *sn, struct node_snap *s)
{
	(void)sn;
	memset(s, 0, sizeof(*s));
	s->label = " (elsewhere)";
}

static int
away_describe(const struct simnode *sn, json_t *node)
{
	const char *role = sn->role == SCN_CLIENT ? "client" : "server";
	if (json_object_set_new(node, "role", json_string(role)) ||
	    json_object_set_new(node, "elsewhere", json_true()))
		return RMC_ENOMEM;
	return RMC_OK;
}

static void
away_fini(struct simnode *sn)
{
	(void)sn;
}

const struct player_ops player_elsewhere = {
    .init = nothing_to_init,
    .begin = nothing_to_begin,
    .start = away_start,
    .frame = away_frame,
    .timer = away_timer,
    .power = away_power,
    .act = away_act,
    .fault = away_fault,
    .client_spi = no_clients,
    .snapshot = away_snapshot,
    .describe = away_describe,
    .finish = nothing_to_finish,
    .fini = away_fini,
};

const struct player_ops *
player_choose(const struct run_opts *o, const struct scenario *sc, size_t i)
{
	if (o->dut && o->node == i)
		return &player_dut;
	if (o->net == RUN_NET_NODE && o->node != i)
		return &player_elsewhere;
	return sc->nodes[i].role == SCN_CLIENT ? &player_ref_client : &player_ref_server;
}

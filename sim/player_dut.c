/*
 * A device under test as a player (docs/users/dut.md): one node of the scenario
 * is a device outside rmcpsec, its frames on the backend's device port, the
 * timeline's actions for it and its state through the vendor's adapter
 * command (sim/dut.h): `begin` before the run's clock starts, `power EVENT`
 * for each power event of the timeline, `send MSG CLIENT VIA` for a server's
 * requests, `state` at the end (its snapshot) and `end`. What the device
 * cannot do makes the scenario's verdicts N/A, never a pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "sim/dut.h"
#include "sim/json_out.h"
#include "sim/player.h"
#include "sim/run_int.h"

struct dut_player {
	bool begun, ended;
	bool has_state; /* `state` answered */
	struct dut_state st;
};

/* The DUT's part of the scenario, for adapters that configure it themselves. */
static void
export_env(const struct simnode *sn)
{
	const struct run *r = sn->run;
	const struct scn_node *nd = &r->sc->nodes[sn->idx];
	char v[64];
	setenv("RMCPSEC_DUT_NODE", nd->name, 1);
	setenv("RMCPSEC_DUT_ROLE", nd->role == SCN_CLIENT ? "client" : "server", 1);
	setenv("RMCPSEC_DUT_IFACE", r->opts->iface, 1);
	setenv("RMCPSEC_DUT_SCENARIO", r->sc->path, 1);
	snprintf(v, sizeof(v), "%llu", (unsigned long long)r->seed);
	setenv("RMCPSEC_DUT_SEED", v, 1);
	setenv("RMCPSEC_DUT_PROFILE", commit_profile_name(r->profile), 1);
	snprintf(v, sizeof(v), "%u.%u.%u.%u", nd->ip >> 24, (nd->ip >> 16) & 0xff,
		 (nd->ip >> 8) & 0xff, nd->ip & 0xff);
	setenv("RMCPSEC_DUT_IP", v, 1);
	snprintf(v, sizeof(v), "%02x:%02x:%02x:%02x:%02x:%02x", nd->mac[0], nd->mac[1], nd->mac[2],
		 nd->mac[3], nd->mac[4], nd->mac[5]);
	setenv("RMCPSEC_DUT_MAC", v, 1);
	setenv("RMCPSEC_DUT_OUT", r->opts->outdir, 1);
}

/* 0 done, 1 unsupported, negative: the adapter failed (err). */
static int
call(const struct simnode *sn, const char *const *args, char *out, size_t cap, char *err,
     size_t errlen)
{
	const char *cmd = sn->run->opts->dut_control;
	int st = dut_call(cmd, args, out, cap, err, errlen);
	if (st < 0)
		return st;
	if (st == DUT_EXIT_UNSUPPORTED)
		return 1;
	if (st != 0) {
		snprintf(err, errlen, "DUT adapter '%s %s%s%s' exited %d", cmd, args[0],
			 args[1] ? " " : "", args[1] ? args[1] : "", st);
		return RMC_EIO;
	}
	return 0;
}

/* `begin` before the run's clock starts: the adapter puts the device in the scenario's state. */
static int
dut_begin(struct simnode *sn, char *err, size_t errlen)
{
	struct run *r = sn->run;
	char seed[24], out[DUT_OUT_MAX];
	if (!(sn->dut = calloc(1, sizeof(*sn->dut)))) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	export_env(sn);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
	const char *args[] = {
	    "begin", r->sc->path, r->sc->nodes[sn->idx].name, seed, commit_profile_name(r->profile),
	    NULL};
	sn->dut->begun = true;
	int rc = call(sn, args, out, sizeof(out), err, errlen); /* 1: set up by other means */
	return rc < 0 ? rc : RMC_OK;
}

/* A step of the timeline on the DUT: one it cannot do makes the scenario N/A, a failure stops
 * the run. */
static void
play(struct simnode *sn, const char *const *args)
{
	char out[DUT_OUT_MAX], err[256];
	int rc = call(sn, args, out, sizeof(out), err, sizeof(err));
	if (rc == 1) {
		char why[160];
		snprintf(why, sizeof(why), "the DUT cannot do '%s%s%s'", args[0],
			 args[1] ? " " : "", args[1] ? args[1] : "");
		run_mark_na(sn->run, why);
	} else if (rc < 0) {
		run_fail(sn->run, err);
	}
}

static int
dut_power(struct simnode *sn, uint64_t now, enum power_cause cause, struct node_out *out)
{
	(void)now, (void)out;
	run_note(sn->run, sn->idx, "power event handed to the DUT's adapter");
	const char *args[] = {"power", power_cause_name(cause), NULL};
	play(sn, args);
	return RMC_OK;
}

static void
send_one(struct simnode *sn, const char *msg, const char *client, const char *via)
{
	const char *args[] = {"send", msg, client, via, NULL};
	play(sn, args);
}

/* A power event for the device, or a request or command a device server sends. */
static void
dut_act(struct simnode *sn, uint64_t now, const struct scn_action *a, struct node_out *out)
{
	const struct scenario *sc = sn->run->sc;
	if (a->verb == SCN_DO_POWER) {
		dut_power(sn, now, a->cause, out);
		return;
	}
	run_note(sn->run, sn->idx, "request handed to the DUT's adapter");
	const char *via = a->via == SCN_VIA_SECURE  ? "secure"
			  : a->via == SCN_VIA_CLEAR ? "clear"
						    : "auto";
	if (a->verb != SCN_DO_DISCOVER) {
		send_one(sn, scn_asf_name(a->asf_type), sc->nodes[a->client].name, via);
		return;
	}
	for (size_t i = 0; i < sc->nnodes; i++)
		if (sc->nodes[i].role == SCN_CLIENT)
			send_one(sn, "presence_ping", sc->nodes[i].name, via);
}

/* The harness cannot crash, hang or unplug a device: the scenario is not played as written. */
static bool
dut_fault(struct simnode *sn, uint64_t now, const struct fault_rule *f, bool recover,
	  struct node_out *out)
{
	(void)now, (void)recover, (void)out;
	char why[160];
	snprintf(why, sizeof(why), "a node fault (%s) on the DUT",
		 fault_action_name((enum fault_action)f->action));
	run_mark_na(sn->run, why);
	return false;
}

/* A device server: what its adapter says it sends to the client under. */
static bool
dut_client_spi(const struct simnode *sn, size_t nth, const char *client, uint32_t *spi)
{
	(void)nth;
	const struct dut_state *st = &sn->dut->st;
	*spi = 0;
	if (!sn->dut->has_state || !st->has_clients)
		return false;
	for (size_t i = 0; i < st->nclients; i++)
		if (strcmp(st->clients[i].name, client) == 0)
			*spi = st->clients[i].spi_out;
	return true;
}

static void
dut_snapshot(const struct simnode *sn, struct node_snap *s)
{
	const struct dut_state *st = &sn->dut->st;
	bool known = sn->dut->has_state;
	memset(s, 0, sizeof(*s));
	s->label = " (DUT)";
	s->nic_alive = true;
	s->unseen = true;
	if (!known)
		return;
	s->has_power = st->has_power;
	s->power = st->power;
	s->has_executed = st->has_executed;
	memcpy(s->executed, st->executed, sizeof(s->executed));
	s->has_commits = st->has_commits;
	s->commits = st->commits;
	s->has_sa = st->has_sa;
	s->spi_in = st->spi_in;
}

/* The adapter's `state` answer as it gave it, a string ("" when there was none). */
static int
dut_describe(const struct simnode *sn, json_t *node)
{
	const char *role = sn->role == SCN_CLIENT ? "client" : "server";
	const char *state = sn->dut && sn->dut->has_state ? sn->dut->st.raw : "";
	if (json_object_set_new(node, "role", json_string(role)) ||
	    json_object_set_new(node, "dut", json_true()) ||
	    json_object_set_new(node, "adapter_state", json_text(state)))
		return RMC_ENOMEM;
	return RMC_OK;
}

/* `state` into the snapshot, then `end`. */
static int
dut_finish(struct simnode *sn, char *err, size_t errlen)
{
	char out[DUT_OUT_MAX];
	const char *state[] = {"state", NULL}, *end[] = {"end", NULL};
	int rc = call(sn, state, out, sizeof(out), err, errlen); /* 1: state checks are N/A */
	if (rc < 0)
		return rc;
	if (rc == 0 && (rc = dut_state_parse(out, &sn->dut->st, err, errlen)))
		return rc;
	sn->dut->has_state = true;
	sn->dut->ended = true;
	rc = call(sn, end, out, sizeof(out), err, errlen);
	return rc < 0 ? rc : RMC_OK;
}

/* A run that stopped after `begin` still puts the device down (`end`, its answer ignored). */
static void
dut_fini(struct simnode *sn)
{
	char out[DUT_OUT_MAX], err[256];
	const char *end[] = {"end", NULL};
	if (sn->dut && sn->dut->begun && !sn->dut->ended)
		call(sn, end, out, sizeof(out), err, sizeof(err));
	free(sn->dut);
	sn->dut = NULL;
}

static int
dut_init(struct simnode *sn, uint16_t ip_id, uint8_t first_seq)
{
	(void)sn, (void)ip_id, (void)first_seq; /* configured by its vendor */
	return RMC_OK;
}

static void
dut_start(struct simnode *sn, uint64_t now, struct node_out *out)
{
	(void)sn, (void)now, (void)out; /* the device runs on its own */
}

static void
dut_frame(struct simnode *sn, uint64_t now, const uint8_t *frame, size_t len, struct node_out *out)
{
	(void)sn, (void)now, (void)frame, (void)len, (void)out; /* its frames are on its wire */
}

static void
dut_timer(struct simnode *sn, uint64_t now, uint32_t id, struct node_out *out)
{
	(void)sn, (void)now, (void)id, (void)out;
}

const struct player_ops player_dut = {
    .device = true,
    .init = dut_init,
    .begin = dut_begin,
    .start = dut_start,
    .frame = dut_frame,
    .timer = dut_timer,
    .power = dut_power,
    .act = dut_act,
    .fault = dut_fault,
    .client_spi = dut_client_spi,
    .snapshot = dut_snapshot,
    .describe = dut_describe,
    .finish = dut_finish,
    .fini = dut_fini,
};

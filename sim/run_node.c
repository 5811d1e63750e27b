/*
 * `rmcpsec node`'s answers on its control socket (docs/users/dut.md): the state
 * a harness judges, power events from outside the network, a server's
 * management commands, stop. Runs between two steps of the node, so what
 * a request changes goes out like any other step of the node.
 */
#include "sim/run_node.h"

#include <stdio.h>
#include <string.h>

#include "proto/err.h"
#include "proto/rmcp.h"
#include "sim/json_out.h"
#include "sim/node_ctl.h"
#include "sim/run_int.h"

struct node_run {
	struct run *r;
	struct node_ctl ctl;
	bool stop; /* told to stop */
};

static void
fail(json_t *reply, const char *why)
{
	json_object_set_new(reply, "ok", json_false());
	json_object_set_new(reply, "error", json_text(why));
}

static json_t *
spi_json(uint32_t spi)
{
	char hex[16];
	snprintf(hex, sizeof(hex), "0x%08x", spi);
	return json_string(hex);
}

static void
client_state(const struct client *c, json_t *reply)
{
	static const char *const names[4] = {"reset", "power_up", "power_down", "power_cycle"};
	uint32_t spi = client_active_spi(c);
	json_object_set_new(reply, "role", json_string("client"));
	json_object_set_new(reply, "power", json_string(power_state_name(c->power)));
	json_object_set_new(reply, "sa",
			    spi ? json_pack("{s:o}", "spi_in", spi_json(spi)) : json_null());
	json_object_set_new(reply, "commits", json_integer((json_int_t)c->st.commits));
	json_t *ex = json_object();
	for (size_t i = 0; i < 4; i++)
		json_object_set_new(ex, names[i], json_integer((json_int_t)c->st.executed[i]));
	json_object_set_new(reply, "executed", ex);
}

static void
server_state(const struct server *s, json_t *reply)
{
	json_object_set_new(reply, "role", json_string("server"));
	json_object_set_new(reply, "power", json_string(power_state_name(s->power)));
	json_object_set_new(reply, "active", json_boolean(s->active));
	json_t *cl = json_object();
	for (size_t i = 0; i < s->nclients; i++) {
		uint32_t spi = server_client_spi(s, i);
		json_object_set_new(cl, s->clients[i].name,
				    spi ? json_pack("{s:o}", "spi_out", spi_json(spi))
					: json_pack("{s:n}", "spi_out"));
	}
	json_object_set_new(reply, "clients", cl);
}

static void
do_power(struct run *r, struct simnode *sn, json_t *req, json_t *reply)
{
	enum power_cause cause;
	const char *ev = json_string_value(json_object_get(req, "event"));
	if (!ev || power_cause_parse(ev, &cause) != 0) {
		fail(reply, "power: want \"event\": a power cause (os_hang, reset, ...)");
		return;
	}
	int rc = sn->ops->power(sn, run_node_now(r, sn), cause, &r->out);
	run_flush(r, sn);
	/* delivered either way: whether it changes anything is the node's to decide */
	json_object_set_new(reply, "accepted", json_boolean(rc == 0));
}

static void
do_send(struct run *r, struct simnode *sn, json_t *req, json_t *reply)
{
	const char *msg = json_string_value(json_object_get(req, "msg"));
	const char *to = json_string_value(json_object_get(req, "client"));
	uint8_t type = 0;
	for (unsigned t = 1; msg && t < 256; t++)
		if (strcmp(msg, scn_asf_name((uint8_t)t)) == 0)
			type = (uint8_t)t;
	int ci = sn->role == SCN_SERVER && to ? server_find_client(&sn->u.s, to) : -1;
	if (!type || ci < 0) {
		fail(reply, "send: a server sends \"msg\" (reset, power_up, power_down, "
			    "power_cycle, presence_ping) to a known \"client\"");
		return;
	}
	const char *via = json_string_value(json_object_get(req, "via"));
	enum server_via v = !r->sc->security.enabled ? SERVER_VIA_CLEAR : SERVER_VIA_AUTO;
	if (via && strcmp(via, "secure") == 0)
		v = SERVER_VIA_SECURE;
	else if (via && strcmp(via, "clear") == 0)
		v = SERVER_VIA_CLEAR;
	int rc = server_send(&sn->u.s, run_node_now(r, sn), (size_t)ci, type, v, &r->out);
	run_flush(r, sn);
	/* as in a run: a request that cannot go out is the server's business, not an error */
	json_object_set_new(reply, "accepted", json_boolean(rc == 0));
}

static void
answer(void *ctx, json_t *req, json_t *reply)
{
	struct node_run *nr = ctx;
	struct run *r = nr->r;
	struct simnode *sn = &r->nodes[r->opts->node];
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	json_object_set_new(reply, "node", json_text(r->sc->nodes[sn->idx].name));
	if (!cmd) {
		fail(reply, "want \"cmd\": state, power, send or stop");
	} else if (strcmp(cmd, "state") == 0) {
		json_object_set_new(reply, "time_ns", json_integer((json_int_t)r->eng.now));
		if (sn->role == SCN_CLIENT)
			client_state(&sn->u.c, reply);
		else
			server_state(&sn->u.s, reply);
	} else if (strcmp(cmd, "power") == 0) {
		do_power(r, sn, req, reply);
	} else if (strcmp(cmd, "send") == 0) {
		do_send(r, sn, req, reply);
	} else if (strcmp(cmd, "stop") == 0) {
		nr->stop = true;
	} else {
		fail(reply, "unknown cmd: want state, power, send or stop");
	}
}

static size_t
watch_fill(void *ctx, void *pollfds, size_t cap)
{
	struct node_run *nr = ctx;
	if (cap < 1 + NODE_CTL_CLIENTS)
		return 0;
	return node_ctl_pollfds(&nr->ctl, pollfds);
}

static bool
watch_serve(void *ctx, void *pollfds, size_t n)
{
	struct node_run *nr = ctx;
	node_ctl_service(&nr->ctl, pollfds, n, answer, nr);
	return nr->stop;
}

int
run_node(const struct scenario *sc, const struct run_opts *o, char *err, size_t errlen)
{
	struct node_run nr = {.ctl.lfd = -1};
	struct run_result res = {0};
	for (size_t i = 0; i < NODE_CTL_CLIENTS; i++)
		nr.ctl.cfd[i] = -1;
	if (!(nr.r = run_new(sc, o))) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	nr.r->end = UINT64_MAX; /* until told to stop */
	nr.r->watch = (struct net_watch){.fill = watch_fill, .serve = watch_serve, .ctx = &nr};
	int rc = o->control ? node_ctl_open(&nr.ctl, o->control, err, errlen) : RMC_OK;
	if (!rc)
		rc = run_open(nr.r, false, err, errlen);
	if (!rc)
		rc = run_play(nr.r, &res, err, errlen);
	run_free(nr.r);
	node_ctl_close(&nr.ctl);
	return rc;
}

#include "sim/run_dut.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"
#include "sim/dut.h"
#include "sim/run_int.h"
#include "sim/scenario.h"

/* The DUT's part of the scenario, for adapters that configure it themselves. */
static void
export_env(const struct run *r)
{
	const struct scn_node *nd = &r->sc->nodes[r->dut];
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

static void
mark_na(struct run *r, const char *verb, const char *arg)
{
	if (!r->dut_na[0])
		snprintf(r->dut_na, sizeof(r->dut_na), "the DUT cannot do '%s%s%s'", verb,
			 arg ? " " : "", arg ? arg : "");
}

/* 0 done, 1 unsupported (noted), negative: the adapter failed (err). */
static int
call(struct run *r, const char *const *args, char *out, size_t cap, char *err, size_t errlen)
{
	int st = dut_call(r->opts->dut_control, args, out, cap, err, errlen);
	if (st < 0)
		return st;
	if (st == DUT_EXIT_UNSUPPORTED)
		return 1;
	if (st != 0) {
		snprintf(err, errlen, "DUT adapter '%s %s%s%s' exited %d", r->opts->dut_control,
			 args[0], args[1] ? " " : "", args[1] ? args[1] : "", st);
		return RMC_EIO;
	}
	return 0;
}

int
run_dut_begin(struct run *r, char *err, size_t errlen)
{
	char seed[24], out[DUT_OUT_MAX];
	export_env(r);
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)r->seed);
	const char *args[] = {
	    "begin", r->sc->path, r->sc->nodes[r->dut].name, seed, commit_profile_name(r->profile),
	    NULL};
	r->dut_begun = true;
	int rc = call(r, args, out, sizeof(out), err, errlen); /* 1: set up by other means */
	return rc < 0 ? rc : RMC_OK;
}

/* A step of the timeline on the DUT: one it cannot do makes the scenario N/A, a failure stops the
 * run. */
static void
play(struct run *r, const char *const *args)
{
	char out[DUT_OUT_MAX], err[256];
	int rc = call(r, args, out, sizeof(out), err, sizeof(err));
	if (rc == 1) {
		mark_na(r, args[0], args[1]);
	} else if (rc < 0) {
		snprintf(r->dut_error, sizeof(r->dut_error), "%s", err);
		r->io_error = RMC_EIO;
	}
}

void
run_dut_power(struct run *r, enum power_cause cause)
{
	const char *args[] = {"power", power_cause_name(cause), NULL};
	play(r, args);
}

static void
send_one(struct run *r, const char *msg, const char *client, const char *via)
{
	const char *args[] = {"send", msg, client, via, NULL};
	play(r, args);
}

void
run_dut_send(struct run *r, const struct scn_action *a)
{
	run_note(r, (size_t)r->dut, "request handed to the DUT's adapter");
	const char *via = a->via == SCN_VIA_SECURE  ? "secure"
			  : a->via == SCN_VIA_CLEAR ? "clear"
						    : "auto";
	if (a->verb != SCN_DO_DISCOVER) {
		send_one(r, scn_asf_name((uint8_t)a->asf_type), r->sc->nodes[a->client].name, via);
		return;
	}
	for (size_t i = 0; i < r->sc->nnodes; i++)
		if (r->sc->nodes[i].role == SCN_CLIENT)
			send_one(r, "presence_ping", r->sc->nodes[i].name, via);
}

int
run_dut_finish(struct run *r, char *err, size_t errlen)
{
	char out[DUT_OUT_MAX];
	const char *state[] = {"state", NULL}, *end[] = {"end", NULL};
	if (!(r->dut_st = calloc(1, sizeof(*r->dut_st)))) {
		snprintf(err, errlen, "out of memory");
		return RMC_ENOMEM;
	}
	int rc = call(r, state, out, sizeof(out), err, errlen); /* 1: state checks are N/A */
	if (rc < 0)
		return rc;
	if (rc == 0 && (rc = dut_state_parse(out, r->dut_st, err, errlen)))
		return rc;
	r->dut_ended = true;
	rc = call(r, end, out, sizeof(out), err, errlen);
	return rc < 0 ? rc : RMC_OK;
}

void
run_dut_abort(struct run *r)
{
	char out[DUT_OUT_MAX], err[256];
	const char *end[] = {"end", NULL};
	if (!r->dut_begun || r->dut_ended)
		return;
	r->dut_ended = true;
	call(r, end, out, sizeof(out), err, sizeof(err));
}

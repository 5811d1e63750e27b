/* The one command that replays a run, printed by `run` and `suite` and kept in results.json. */
#include <stdio.h>
#include <string.h>

#include "fsm/commit.h"
#include "nodes/mutant.h"
#include "sim/run.h"

/* Appends s; on overflow *at becomes cap and stays there. buf stays terminated. */
static void
put(char *buf, size_t cap, size_t *at, const char *s)
{
	for (; *s; s++) {
		if (*at + 1 >= cap) {
			*at = cap;
			return;
		}
		buf[(*at)++] = *s;
		buf[*at] = 0;
	}
}

/* Appends " s" as one shell word: bare when it is plain, else in single quotes. */
static void
put_word(char *buf, size_t cap, size_t *at, const char *s)
{
	static const char plain_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					  "0123456789/._-+=:,@%";
	put(buf, cap, at, " ");
	if (*s && strspn(s, plain_chars) == strlen(s)) {
		put(buf, cap, at, s);
		return;
	}
	put(buf, cap, at, "'");
	for (const char *p = s; *p; p++) {
		char c[2] = {*p, 0};
		put(buf, cap, at, *p == '\'' ? "'\\''" : c);
	}
	put(buf, cap, at, "'");
}

int
run_replay_command(const struct scenario *sc, const struct run_opts *o, uint64_t seed,
		   const char *outdir, char *buf, size_t cap)
{
	char num[24];
	size_t at;
	if (cap == 0)
		return -1;
	buf[0] = 0;
	at = 0;
	put(buf, cap, &at, "rmcpsec run");
	put_word(buf, cap, &at, sc->path);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seed);
	put_word(buf, cap, &at, "--seed");
	put_word(buf, cap, &at, num);
	if (outdir) {
		put_word(buf, cap, &at, "--out");
		put_word(buf, cap, &at, outdir);
	}
	if (o && o->profile) {
		put_word(buf, cap, &at, "--profile");
		put_word(buf, cap, &at, commit_profile_name((enum commit_profile)(o->profile - 1)));
	}
	if (o && o->mutant) {
		put_word(buf, cap, &at, "--mutant");
		put_word(buf, cap, &at, mutant_name((enum mutant)o->mutant));
	}
	if (o && o->net == RUN_NET_TAP && !o->dut) { /* real time: same verdicts, not same bytes */
		put_word(buf, cap, &at, "--net");
		put_word(buf, cap, &at, "tap");
	}
	if (o && o->dut) { /* implies --net tap */
		put_word(buf, cap, &at, "--dut");
		put_word(buf, cap, &at,
			 sc->nodes[o->node].role == SCN_CLIENT ? "client" : "server");
		put_word(buf, cap, &at, "--dut-node");
		put_word(buf, cap, &at, sc->nodes[o->node].name);
		put_word(buf, cap, &at, "--iface");
		put_word(buf, cap, &at, o->iface);
		put_word(buf, cap, &at, "--dut-control");
		put_word(buf, cap, &at, o->dut_control);
	}

	for (size_t i = 0; o && i < o->nfault_specs; i++) {
		put_word(buf, cap, &at, "--fault");
		put_word(buf, cap, &at, o->fault_specs[i]);
	}
	return at >= cap ? -1 : (int)at;
}

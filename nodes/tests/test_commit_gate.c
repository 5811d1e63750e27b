/*
 * Nodes change the commit machines only through fsm/commit's step
 * functions: the explorer and the Spin model prove properties of the
 * steps, and a node that assigned a field (phase, cur_spi, pending_* ...)
 * would carry out transitions nobody checked. Reads every source of the
 * drivers of the machines (nodes/, sim/, cli/) and fails on
 *  - an assignment to a member of a machine (`x->cm.phase = ...`, `cm.gen++`),
 *    or to a whole machine (`x->cm = ...`);
 *  - a machine's address passed anywhere but to commit_*_step, commit_*_init
 *    (construction) or commit_client_accepts (memset, memcpy, an alias);
 *  - a pointer to a machine that is not const.
 * The machines are the `cm` members of struct client and struct
 * server_client; the scanner is tried on bad lines first so it can fail.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

/* An assignment to cm or to any member of it, or an increment / decrement. */
static const char *const assign_re =
    "(^|[^A-Za-z0-9_])cm((\\.|->)[A-Za-z_][A-Za-z0-9_]*)*(\\[[^]]*\\])?[[:space:]]*"
    "([-+*/%&|^]?=[^=]|\\+\\+|--)";
static const char *const incr_before_re =
    "(\\+\\+|--)[[:space:]]*[A-Za-z_][A-Za-z0-9_.>-]*(\\.|->)cm(\\.|->)";
/* A machine's address: &x->cm, &x.cm, not && (then checked against the allowed calls). */
static const char *const addr_re = "(^|[^&])&[[:space:]]*[A-Za-z_][]A-Za-z0-9_.>[-]*(\\.|->)cm"
				   "([^A-Za-z0-9_]|$)";
static const char *const ptr_re = "struct[[:space:]]+commit_(server|client)[[:space:]]*\\*";

static const char *const allowed_calls[] = {"commit_server_step(", "commit_client_step(",
					    "commit_server_init(", "commit_client_init(",
					    "commit_client_accepts("};

struct gate {
	regex_t assign, incr_before, addr, ptr;
};

static void
gate_init(struct gate *g)
{
	cr_assert_eq(regcomp(&g->assign, assign_re, REG_EXTENDED | REG_NEWLINE), 0);
	cr_assert_eq(regcomp(&g->incr_before, incr_before_re, REG_EXTENDED | REG_NEWLINE), 0);
	cr_assert_eq(regcomp(&g->addr, addr_re, REG_EXTENDED | REG_NEWLINE), 0);
	cr_assert_eq(regcomp(&g->ptr, ptr_re, REG_EXTENDED | REG_NEWLINE), 0);
}

static void
gate_fini(struct gate *g)
{
	regfree(&g->assign);
	regfree(&g->incr_before);
	regfree(&g->addr);
	regfree(&g->ptr);
}

/* Does the text just before p (spaces skipped) end with one of the allowed calls? */
static bool
allowed_call_before(const char *line, const char *p)
{
	while (p > line && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	for (size_t i = 0; i < sizeof allowed_calls / sizeof allowed_calls[0]; i++) {
		size_t n = strlen(allowed_calls[i]);
		if ((size_t)(p - line) >= n && strncmp(p - n, allowed_calls[i], n) == 0)
			return true;
	}
	return false;
}

static bool
const_before(const char *line, const char *p)
{
	while (p > line && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	return (size_t)(p - line) >= 5 && strncmp(p - 5, "const", 5) == 0;
}

/* Why this line changes a machine outside its step functions, or NULL. */
static const char *
gate_check_line(const struct gate *g, const char *line)
{
	regmatch_t m;
	const char *p;

	if (regexec(&g->assign, line, 1, &m, 0) == 0)
		return "assigns a commit machine field";
	if (regexec(&g->incr_before, line, 1, &m, 0) == 0)
		return "increments a commit machine field";
	for (p = line; regexec(&g->addr, p, 1, &m, p == line ? 0 : REG_NOTBOL) == 0; p += m.rm_eo)
		if (!allowed_call_before(line, strchr(p + m.rm_so, '&')))
			return "takes a commit machine's address outside the step functions";
	for (p = line; regexec(&g->ptr, p, 1, &m, p == line ? 0 : REG_NOTBOL) == 0; p += m.rm_eo)
		if (!const_before(line, p + m.rm_so))
			return "declares a pointer to a commit machine that is not const";
	return NULL;
}

Test(commit_gate, the_scanner_catches_each_kind_of_write)
{
	static const char *const bad[] = {
	    "\t\tc->cm.phase = COMMIT_C_IDLE;",
	    "\tc->cm.pending_spi = c->cm.pending_txid = 0;",
	    "c->cm.cur_spi=spi;",
	    "\ts->clients[i].cm.deadline[t] = 0;",
	    "\tc->cm.gen++;",
	    "\t++c->cm.tries;",
	    "\tc->cm.txid += 1;",
	    "\tc->cm = fresh;",
	    "\tmemset(&c->cm, 0, sizeof(c->cm));",
	    "\tstruct commit_client *m = &c->cm;",
	    "static void poke(struct commit_server *m)",
	};
	static const char *const good[] = {
	    "\tcommit_client_init(&c->cm, cfg->profile, cfg->timing, client_active_spi(c));",
	    "\tint n = commit_server_step(&c->cm, ev, now, act, COMMIT_MAX_ACTIONS);",
	    "\tif (r == NIC_SA_PREV && !commit_client_accepts(&c->cm, spi))",
	    "\tif (c->cm.phase == COMMIT_S_IDLE && c->nsec)",
	    "\t\tif (c->cm.deadline[t] && c->cm.deadline[t] < d)",
	    "\t.msg = {.type = COMMIT_SA_READY, .txid = c->cm.txid, .new_spi = spi}};",
	    "\tbool f(const struct commit_client *c);",
	    "\tstruct commit_server cm;",
	    "\tc->cmd = 3;",
	};
	struct gate g;

	gate_init(&g);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not_null(gate_check_line(&g, bad[i]), "missed: %s", bad[i]);
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		cr_expect_null(gate_check_line(&g, good[i]), "flagged: %s", good[i]);
	gate_fini(&g);
}

static int
check_file(const struct gate *g, const char *dir, const char *name)
{
	char path[512], line[1024];
	int lineno = 0, bad = 0;

	snprintf(path, sizeof path, "%s/%s/%s", RMCPSEC_SRC_DIR, dir, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	while (fgets(line, sizeof line, f)) {
		const char *why = gate_check_line(g, line);
		lineno++;
		if (why) {
			cr_expect_null(why, "%s/%s:%d %s: %s", dir, name, lineno, why, line);
			bad++;
		}
	}
	fclose(f);
	return bad;
}

static int
check_dir(const struct gate *g, const char *dir, int *files)
{
	char path[512];
	struct dirent *e;
	int bad = 0;

	snprintf(path, sizeof path, "%s/%s", RMCPSEC_SRC_DIR, dir);
	DIR *d = opendir(path);
	cr_assert_not_null(d, "%s", path);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 3 ||
		    (strcmp(e->d_name + len - 2, ".c") && strcmp(e->d_name + len - 2, ".h")))
			continue;
		bad += check_file(g, dir, e->d_name);
		(*files)++;
	}
	closedir(d);
	return bad;
}

Test(commit_gate, drivers_change_commit_state_only_through_the_step_functions)
{
	struct gate g;
	int files = 0, bad = 0;

	gate_init(&g);
	bad += check_dir(&g, "nodes", &files);
	bad += check_dir(&g, "sim", &files);
	bad += check_dir(&g, "cli", &files);
	gate_fini(&g);
	cr_expect_eq(bad, 0, "%d lines change a commit machine outside fsm/commit", bad);
	cr_expect_geq(files, 40, "found only %d sources", files);
}

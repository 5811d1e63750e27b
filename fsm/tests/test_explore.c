/*
 * Exhaustive exploration of the refresh commit: the server
 * and client machines of fsm/commit composed with a channel that can lose,
 * duplicate, delay or reorder every message, and a client that can hang,
 * reset, suspend or lose power at every step. Every schedule with up to
 * MAX_FAULTS faults is enumerated (depth first, no pruning).
 *
 * Normal (fault-free) progress is deterministic: power comes back, then
 * the oldest message in flight is delivered (zero latency), then a reset
 * client finishes booting, then the earliest timer fires. A fault replaces
 * that step at any point: drop or duplicate the head message, deliver a
 * later one first, fire the earliest timer while messages are still in
 * flight, or change the client's power state, or fire the server's refresh
 * with a power cut tearing the NIC's NVRAM write of the new SA (the NIC
 * then restarts without it: COMMIT_EV_PENDING_LOST).
 *
 * Invariants (robust): the server never sends under an SA the NIC rejects
 * for longer than one rto; when nothing is left to happen, a packet under
 * the server's SA reaches the NIC and both then hold exactly one common
 * SA; every schedule reaches that point within MAX_STEPS.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fsm/commit.h"
#include "fsm/power.h"

enum {
	MAX_FAULTS = 3,
	MAX_ROUNDS = 3, /* refresh rounds explored */
	MAX_Q = 16,
	MAX_STEPS = 80,
	SPI0 = 0x1000,
};

struct wmsg {
	bool to_client;
	bool data; /* a management packet under spi, not a commit message */
	uint32_t spi;
	struct commit_msg m;
};

enum kind {
	K_DELIVER, /* arg = queue index; > 0 is a reorder fault */
	K_LOSE,
	K_DUP,
	K_DELAY, /* fire a timer with messages still in flight */
	K_FIRE,
	K_BOOT,
	K_RESTORE,
	K_HANG,
	K_RESET,
	K_SUSPEND,
	K_POWER_LOSS,
	K_TORN_INSTALL, /* fire the server's refresh; a power cut tears the NIC's INSTALL */
};

struct step {
	enum kind kind;
	int arg;
	uint64_t now;
	struct wmsg msg;	 /* the message concerned, if any */
	bool srv_timer;		 /* for FIRE / DELAY */
	enum commit_timer timer; /* for FIRE / DELAY */
};

struct world {
	struct commit_server s;
	struct commit_client c;
	enum power_state cpw;
	struct wmsg q[MAX_Q];
	int nq;
	uint64_t st[COMMIT_T__COUNT], ct[COMMIT_T__COUNT]; /* timers as the actions armed them */
	uint64_t now, rej_since;
	uint32_t next_spi;
	bool tear_install; /* the NIC's next INSTALL is cut short by a power loss */
	bool pending_torn; /* NVRAM lost the pending SA: the restart is PENDING_LOST */
	int faults, rounds, steps;
	const char *broken; /* the invariant this world broke, or NULL */
};

struct explore {
	enum commit_profile profile;
	uint64_t schedules, violations;
	struct step trace[MAX_STEPS + 1];
	/* shortest violating schedule, and the shortest with a lost CONFIRM */
	struct step best[MAX_STEPS + 1], best_confirm[MAX_STEPS + 1];
	int nbest, nbest_confirm, fbest, fbest_confirm;
	const char *why, *why_confirm;
};

static const uint64_t NONE = UINT64_MAX;

/* ---- applying actions ------------------------------------------------- */

static void server_event(struct world *w, struct commit_event ev);
static void client_event(struct world *w, struct commit_event ev);
static void power(struct world *w, enum power_cause cause);

static void
enqueue(struct world *w, struct wmsg m)
{
	if (w->nq >= MAX_Q) {
		w->broken = "channel overflow (a machine floods)";
		return;
	}
	w->q[w->nq++] = m;
}

static void
apply_timer(const struct commit_action *a, uint64_t *tab)
{
	if (a->type == COMMIT_ACT_ARM)
		tab[a->timer] = a->deadline;
	else if (a->type == COMMIT_ACT_CANCEL)
		tab[a->timer] = 0;
}

static void
server_event(struct world *w, struct commit_event ev)
{
	struct commit_action act[COMMIT_MAX_ACTIONS];
	int n = commit_server_step(&w->s, &ev, w->now, act, COMMIT_MAX_ACTIONS);
	uint32_t kex_txid = 0;

	if (n < 0) {
		w->broken = "server refused an event";
		return;
	}
	for (int i = 0; i < n; i++) {
		const struct commit_action *a = &act[i];
		apply_timer(a, w->st);
		if (a->type == COMMIT_ACT_SEND) {
			enqueue(w, (struct wmsg){.to_client = true, .m = a->msg});
		} else if (a->type == COMMIT_ACT_ACTIVATE) {
			enqueue(w, (struct wmsg){.to_client = true, .data = true, .spi = a->spi});
		} else if (a->type == COMMIT_ACT_START_KEX) {
			kex_txid = a->txid;
		}
	}
	if (memcmp(w->st, w->s.deadline, sizeof w->st) != 0)
		w->broken = "server timers differ from its ARM/CANCEL actions";
	if (kex_txid) {
		/* IKE itself is not under test: it succeeds iff the host runs it */
		uint32_t spi = w->next_spi++;
		if (power_caps(w->cpw).ike) {
			client_event(w, (struct commit_event){.type = COMMIT_EV_NEW_SA,
							      .txid = kex_txid,
							      .spi = spi});
			server_event(w, (struct commit_event){.type = COMMIT_EV_KEX_OK,
							      .txid = kex_txid,
							      .spi = spi});
		} else {
			server_event(
			    w, (struct commit_event){.type = COMMIT_EV_KEX_FAIL, .txid = kex_txid});
		}
	}
}
static void
client_event(struct world *w, struct commit_event ev)
{
	struct commit_action act[COMMIT_MAX_ACTIONS];
	int n;

	if (!power_caps(w->cpw).nic_alive)
		return;
	n = commit_client_step(&w->c, &ev, w->now, act, COMMIT_MAX_ACTIONS);
	if (n < 0) {
		w->broken = "client refused an event";
		return;
	}
	for (int i = 0; i < n; i++) {
		if (act[i].type == COMMIT_ACT_INSTALL && w->tear_install) {
			/* the rest of this step's actions die with the NIC; its timers are
			 * the machine's again once it restarts */
			w->tear_install = false;
			w->pending_torn = true;
			power(w, PC_POWER_LOSS);
			return;
		}
		apply_timer(&act[i], w->ct);
		if (act[i].type == COMMIT_ACT_SEND)
			enqueue(w, (struct wmsg){.to_client = false, .m = act[i].msg});
	}
	if (memcmp(w->ct, w->c.deadline, sizeof w->ct) != 0)
		w->broken = "client timers differ from its ARM/CANCEL actions";
}

static void
deliver(struct world *w, struct wmsg m)
{
	if (!m.to_client)
		server_event(w, (struct commit_event){.type = COMMIT_EV_MSG, .msg = m.m});
	else if (!m.data)
		client_event(w, (struct commit_event){.type = COMMIT_EV_MSG, .msg = m.m});
	else if (commit_client_accepts(&w->c, m.spi))
		client_event(w, (struct commit_event){.type = COMMIT_EV_DATA, .spi = m.spi});
}

static struct wmsg
take(struct world *w, int i)
{
	struct wmsg m = w->q[i];

	memmove(&w->q[i], &w->q[i + 1], (size_t)(w->nq - i - 1) * sizeof w->q[0]);
	w->nq--;
	return m;
}

/* ---- timers and power ------------------------------------------------- */

/* The earliest armed timer that is inside the horizon; false if none. */
static bool
next_timer(const struct world *w, bool *srv, enum commit_timer *t)
{
	uint64_t best = NONE;

	for (int i = 0; i < COMMIT_T__COUNT; i++) {
		bool beyond = i == COMMIT_T_REFRESH && w->rounds >= MAX_ROUNDS;
		if (w->st[i] && !beyond && w->st[i] < best) {
			best = w->st[i];
			*srv = true;
			*t = (enum commit_timer)i;
		}
	}
	for (int i = 0; power_caps(w->cpw).nic_alive && i < COMMIT_T__COUNT; i++) {
		if (w->ct[i] && w->ct[i] < best) {
			best = w->ct[i];
			*srv = false;
			*t = (enum commit_timer)i;
		}
	}
	return best != NONE;
}

static bool
rejected(const struct world *w)
{
	return power_caps(w->cpw).nic_alive && !commit_client_accepts(&w->c, w->s.cur_spi);
}

static void
advance(struct world *w, uint64_t to)
{
	if (to <= w->now)
		return;
	if (rejected(w) && to - w->rej_since > w->s.t.rto)
		w->broken = "server sent under an SA the NIC rejects for longer than one rto";
	w->now = to;
}

static void
fire(struct world *w, bool srv, enum commit_timer t)
{
	struct commit_event ev = {.type = COMMIT_EV_TIMEOUT, .timer = t};

	advance(w, srv ? w->st[t] : w->ct[t]);
	/* a timer that fired is no longer armed, on both sides */
	if (srv)
		w->st[t] = 0;
	else
		w->ct[t] = 0;
	if (srv) {
		if (t == COMMIT_T_REFRESH)
			w->rounds++;
		server_event(w, ev);
	} else {
		client_event(w, ev);
	}
}

static void
power(struct world *w, enum power_cause cause)
{
	enum power_state next;

	if (power_step(w->cpw, cause, &next) != 0) {
		w->broken = "explorer took an illegal power step";
		return;
	}
	w->cpw = next;
	if (cause == PC_POWER_LOSS) {
		int k = 0;
		for (int i = 0; i < w->nq; i++) /* everything on its way to the NIC is lost */
			if (!w->q[i].to_client)
				w->q[k++] = w->q[i];
		w->nq = k;
		memset(w->ct, 0, sizeof w->ct);
	}
	if (cause == PC_RESET || cause == PC_POWER_RESTORE) {
		memset(w->ct, 0, sizeof w->ct); /* the NIC's timers die with it */
		client_event(w,
			     (struct commit_event){.type = w->pending_torn ? COMMIT_EV_PENDING_LOST
									   : COMMIT_EV_RESET});
		w->pending_torn = false;
	}
	server_event(w, (struct commit_event){.type = COMMIT_EV_PEER, .peer = next});
}

/* Carries out one step of a schedule on w. */
static void
apply(struct world *w, struct step *st)
{
	st->now = w->now;
	switch (st->kind) {
	case K_DELIVER:
		st->msg = take(w, st->arg);
		deliver(w, st->msg);
		break;
	case K_LOSE:
		st->msg = take(w, 0);
		break;
	case K_DUP:
		st->msg = w->q[0];
		enqueue(w, take(w, 0));
		deliver(w, st->msg);
		break;
	case K_TORN_INSTALL:
	case K_DELAY:
	case K_FIRE:
		w->tear_install = st->kind == K_TORN_INSTALL;
		next_timer(w, &st->srv_timer, &st->timer);
		fire(w, st->srv_timer, st->timer);
		w->tear_install = false; /* a cut only in this step's write */
		st->now = w->now;
		break;
	case K_BOOT:
		power(w, PC_BOOT_COMPLETE);
		break;
	case K_RESTORE:
		power(w, PC_POWER_RESTORE);
		break;
	case K_HANG:
		power(w, PC_OS_HANG);
		break;
	case K_RESET:
		power(w, PC_RESET);
		break;
	case K_SUSPEND:
		power(w, PC_SUSPEND);
		break;
	case K_POWER_LOSS:
		power(w, PC_POWER_LOSS);
		break;
	}
	if (!rejected(w))
		w->rej_since = NONE;
	else if (w->rej_since == NONE)
		w->rej_since = w->now;
}

/* ---- printing --------------------------------------------------------- */

static const char *const kind_names[] = {[K_DELIVER] = "deliver",
					 [K_LOSE] = "LOSE",
					 [K_DUP] = "DUPLICATE",
					 [K_DELAY] = "DELAY",
					 [K_FIRE] = "fire",
					 [K_BOOT] = "boot complete",
					 [K_RESTORE] = "power restore",
					 [K_HANG] = "HANG",
					 [K_RESET] = "RESET",
					 [K_SUSPEND] = "SUSPEND",
					 [K_POWER_LOSS] = "POWER LOSS",
					 [K_TORN_INSTALL] =
					     "POWER CUT in the NIC's INSTALL, after"};

static bool
is_fault(const struct step *st)
{
	return st->kind != K_FIRE && st->kind != K_BOOT && st->kind != K_RESTORE &&
	       !(st->kind == K_DELIVER && st->arg == 0);
}

static void
print_step(const struct step *st, int i)
{
	char what[96];

	if (st->kind == K_FIRE || st->kind == K_DELAY || st->kind == K_TORN_INSTALL)
		snprintf(what, sizeof what, "%s timer %s", st->srv_timer ? "server" : "client",
			 commit_timer_name(st->timer));
	else if (st->kind <= K_DUP && st->msg.data)
		snprintf(what, sizeof what, "data spi=0x%" PRIx32 " to client", st->msg.spi);
	else if (st->kind <= K_DUP)
		snprintf(what, sizeof what, "%s txid=%" PRIu32 " new_spi=0x%" PRIx32 " to %s",
			 commit_msg_name(st->msg.m.type), st->msg.m.txid, st->msg.m.new_spi,
			 st->msg.to_client ? "client" : "server");
	else
		what[0] = '\0';
	printf("  %2d t=%3" PRIu64 ".%03" PRIu64 "s %s%s%s %s\n", i, st->now / 1000000000u,
	       st->now / 1000000u % 1000u, is_fault(st) ? "FAULT " : "", kind_names[st->kind],
	       st->kind == K_DELIVER && st->arg ? " (reordered)" : "", what);
}

static void
print_schedule(const struct step *s, int n)
{
	for (int i = 0; i < n; i++)
		print_step(&s[i], i);
}

/* ---- the search ------------------------------------------------------- */

static bool
lost_confirm(const struct step *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i].kind == K_LOSE && !s[i].msg.data && s[i].msg.m.type == COMMIT_SA_CONFIRM)
			return true;
	return false;
}

static void
record(struct explore *x, const struct world *w, const char *why)
{
	int n = w->steps;

	x->violations++;
	if (!x->nbest || n < x->nbest || (n == x->nbest && w->faults < x->fbest)) {
		x->fbest = w->faults;
		memcpy(x->best, x->trace, (size_t)n * sizeof x->trace[0]);
		x->nbest = n;
		x->why = why;
	}
	if (lost_confirm(x->trace, n) &&
	    (!x->nbest_confirm || w->faults < x->fbest_confirm ||
	     (w->faults == x->fbest_confirm && n < x->nbest_confirm))) {
		x->fbest_confirm = w->faults;
		memcpy(x->best_confirm, x->trace, (size_t)n * sizeof x->trace[0]);
		x->nbest_confirm = n;
		x->why_confirm = why;
	}
}

/* Nothing left to happen: one packet under the server's SA, then one common SA. */
static const char *
check_converged(struct world *w)
{
	if (w->rej_since != NONE)
		return "server stays on an SA the NIC rejects";
	deliver(w, (struct wmsg){.to_client = true, .data = true, .spi = w->s.cur_spi});
	if (w->broken)
		return w->broken;
	if (w->s.phase != COMMIT_S_IDLE || w->c.phase != COMMIT_C_IDLE)
		return "a machine is still mid-commit";
	if (w->c.cur_spi != w->s.cur_spi || w->c.prev_spi != 0)
		return "server and NIC do not hold one common SA";
	return NULL;
}

static void explore(struct explore *x, const struct world *w);

static void
branch(struct explore *x, const struct world *w, enum kind kind, int arg)
{
	struct world next = *w;
	struct step *st = &x->trace[w->steps];

	*st = (struct step){.kind = kind, .arg = arg};
	apply(&next, st);
	next.steps++;
	if (is_fault(st))
		next.faults++;
	explore(x, &next);
}

static void
explore(struct explore *x, const struct world *w)
{
	bool srv, timer = false;
	enum commit_timer t;
	struct world end;

	if (w->broken || w->steps >= MAX_STEPS) {
		x->schedules++;
		record(x, w, w->broken ? w->broken : "no quiescence within MAX_STEPS");
		return;
	}
	timer = next_timer(w, &srv, &t);
	if (w->faults < MAX_FAULTS) {
		if (w->nq > 0) {
			branch(x, w, K_LOSE, 0);
			branch(x, w, K_DUP, 0);
			for (int i = 1; i < w->nq; i++)
				branch(x, w, K_DELIVER, i);
			if (timer)
				branch(x, w, K_DELAY, 0);
		}
		if (power_legal(w->cpw, PC_OS_HANG))
			branch(x, w, K_HANG, 0);
		if (power_legal(w->cpw, PC_SUSPEND))
			branch(x, w, K_SUSPEND, 0);
		if (power_is_powered(w->cpw))
			branch(x, w, K_RESET, 0);
		if (power_is_powered(w->cpw))
			branch(x, w, K_POWER_LOSS, 0);
		/* the NIC stores a new SA only when a refresh starts IKE with its host */
		if (timer && srv && t == COMMIT_T_REFRESH && w->nq == 0 && power_caps(w->cpw).ike)
			branch(x, w, K_TORN_INSTALL, 0);
	}
	if (w->cpw == PWR_MECH_OFF)
		branch(x, w, K_RESTORE, 0);
	else if (w->nq > 0)
		branch(x, w, K_DELIVER, 0);
	else if (w->cpw == PWR_PRE_BOOT)
		branch(x, w, K_BOOT, 0);
	else if (timer)
		branch(x, w, K_FIRE, 0);
	else {
		const char *why;
		end = *w;
		x->schedules++;
		why = check_converged(&end);
		if (why)
			record(x, &end, why);
	}
}

static void
run(struct explore *x, enum commit_profile p)
{
	struct world w = {.cpw = PWR_OS_UP, .rej_since = NONE, .next_spi = SPI0 + 1};
	struct commit_timing t = commit_timing_default();

	memset(x, 0, sizeof *x);
	x->profile = p;
	commit_server_init(&w.s, p, t, SPI0, PWR_OS_UP);
	commit_client_init(&w.c, p, t, SPI0);
	server_event(&w, (struct commit_event){.type = COMMIT_EV_START});
	explore(x, &w);
	printf("explorer, %s profile: %" PRIu64 " schedules with up to %d faults, %d refresh "
	       "rounds: %" PRIu64 " violations\n",
	       commit_profile_name(p), x->schedules, MAX_FAULTS, MAX_ROUNDS, x->violations);
	fflush(stdout);
}

/* ---- the tests -------------------------------------------------------- */

static void
start_world(struct world *w, enum commit_profile p)
{
	*w = (struct world){.cpw = PWR_OS_UP, .rej_since = NONE, .next_spi = SPI0 + 1};
	commit_server_init(&w->s, p, commit_timing_default(), SPI0, PWR_OS_UP);
	commit_client_init(&w->c, p, commit_timing_default(), SPI0);
	server_event(w, (struct commit_event){.type = COMMIT_EV_START});
}

/* Deliveries and timers, no fault, until nothing is left to happen. */
static void
run_fault_free(struct world *w)
{
	struct step st;

	for (int i = 0; i < MAX_STEPS && !w->broken; i++) {
		bool srv;
		enum commit_timer t;
		if (w->nq)
			st = (struct step){.kind = K_DELIVER};
		else if (next_timer(w, &srv, &t))
			st = (struct step){.kind = K_FIRE};
		else
			break;
		apply(w, &st);
	}
}

Test(explore, fault_free_schedule_commits_every_round)
{
	for (int p = COMMIT_STRICT; p <= COMMIT_ROBUST; p++) {
		struct world w;

		start_world(&w, p);
		run_fault_free(&w);
		cr_assert_null(w.broken, "%s", w.broken);
		cr_expect_eq(w.s.cur_spi, SPI0 + MAX_ROUNDS, "%s: both refreshes committed",
			     commit_profile_name(p));
		cr_expect_eq(w.c.cur_spi, w.s.cur_spi);
		cr_expect_eq(w.c.gen, MAX_ROUNDS);
	}
}

Test(explore, torn_install_restarts_the_nic_without_the_pending_sa)
{
	for (int p = COMMIT_STRICT; p <= COMMIT_ROBUST; p++) {
		struct world w;
		struct step st = {.kind = K_TORN_INSTALL};

		start_world(&w, p);
		apply(&w, &st);
		cr_assert_null(w.broken, "%s", w.broken);
		cr_expect_eq(st.timer, COMMIT_T_REFRESH);
		cr_expect_eq(w.cpw, PWR_MECH_OFF);
		cr_expect_eq(w.nq, 0, "no SA_READY left the NIC");
		cr_expect_eq(w.c.pending_spi, SPI0 + 1, "RAM still names it until the restart");
		cr_expect_eq(w.s.phase, COMMIT_S_IDLE, "the server saw the client go down");
		st = (struct step){.kind = K_RESTORE};
		apply(&w, &st);
		cr_assert_null(w.broken, "%s", w.broken);
		cr_expect_not(w.pending_torn);
		cr_expect_eq(w.c.pending_spi, 0, "%s: the restart forgot the torn SA",
			     commit_profile_name(p));
		cr_expect_eq(w.c.phase, COMMIT_C_IDLE);
		cr_expect_eq(w.nq, 0, "no SA_READY for an SA NVRAM does not hold");
		run_fault_free(&w);
		cr_assert_null(w.broken, "%s", w.broken);
		cr_expect_null(check_converged(&w));
		cr_expect_eq(w.s.cur_spi, SPI0, "no refresh without the client up");
	}
}

Test(explore, robust_converges_under_every_schedule_with_3_faults)
{
	static struct explore x;

	run(&x, COMMIT_ROBUST);
	if (x.violations) {
		printf("first shortest violation (%s):\n", x.why);
		print_schedule(x.best, x.nbest);
	}
	cr_expect_eq(x.violations, 0, "robust broke an invariant: %s", x.why);
	cr_expect_gt(x.schedules, 50000, "explored suspiciously few schedules");
}

Test(explore, strict_lost_confirm_desync_is_found)
{
	static struct explore x;

	run(&x, COMMIT_STRICT);
	cr_assert_gt(x.violations, 0, "strict profile showed no desynchronisation");
	cr_assert_gt(x.nbest_confirm, 0, "no violating schedule with a lost SA_CONFIRM");
	printf(
	    "strict: shortest schedule with a lost SA_CONFIRM that breaks the invariants (%s):\n",
	    x.why_confirm);
	print_schedule(x.best_confirm, x.nbest_confirm);
	int faults = 0;
	for (int i = 0; i < x.nbest_confirm; i++)
		faults += is_fault(&x.best_confirm[i]);
	cr_expect_eq(faults, 1, "the lost CONFIRM alone is enough");
	printf("strict: shortest violating schedule overall (%s):\n", x.why);
	print_schedule(x.best, x.nbest);
}

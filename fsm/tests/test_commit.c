/* fsm/commit: the two machines step by step against patent Figs. 4 and 5
 * (step numbers in test names are the figures'), both profiles. */
#include <criterion/criterion.h>
#include <string.h>

#include "fsm/commit.h"

#define S 1000000000ull
enum { OLD = 0x100, NEW = 0x200, NEWER = 0x300 };

static struct commit_action act[COMMIT_MAX_ACTIONS];
static int nact;

static int
srv(struct commit_server *s, struct commit_event ev, uint64_t now)
{
	nact = commit_server_step(s, &ev, now, act, COMMIT_MAX_ACTIONS);
	cr_assert_geq(nact, 0, "server refused %s", commit_event_name(ev.type));
	return nact;
}

static int
cli(struct commit_client *c, struct commit_event ev, uint64_t now)
{
	nact = commit_client_step(c, &ev, now, act, COMMIT_MAX_ACTIONS);
	cr_assert_geq(nact, 0, "client refused %s", commit_event_name(ev.type));
	return nact;
}

static const struct commit_action *
find(enum commit_action_type t)
{
	for (int i = 0; i < nact; i++)
		if (act[i].type == t)
			return &act[i];
	return NULL;
}

static const struct commit_msg *
sent(enum commit_msg_type t)
{
	for (int i = 0; i < nact; i++)
		if (act[i].type == COMMIT_ACT_SEND && act[i].msg.type == t)
			return &act[i].msg;
	return NULL;
}

static struct commit_event
ev_timeout(enum commit_timer t)
{
	return (struct commit_event){.type = COMMIT_EV_TIMEOUT, .timer = t};
}

static struct commit_event
ev_msg(const struct commit_msg *m)
{
	return (struct commit_event){.type = COMMIT_EV_MSG, .msg = *m};
}

/* Runs Fig. 4 steps 21-22 and Fig. 5 steps 40-42: returns the READY sent. */
static struct commit_msg
start_refresh(struct commit_server *s, struct commit_client *c, uint64_t *now)
{
	srv(s, (struct commit_event){.type = COMMIT_EV_START}, *now);
	const struct commit_action *arm = find(COMMIT_ACT_ARM);
	cr_assert_not_null(arm);
	cr_assert_eq(arm->timer, COMMIT_T_REFRESH);
	*now = arm->deadline;
	srv(s, ev_timeout(COMMIT_T_REFRESH), *now);
	const struct commit_action *kex = find(COMMIT_ACT_START_KEX);
	cr_assert_not_null(kex, "step 22: refresh starts a key exchange");
	uint32_t txid = kex->txid;
	srv(s, (struct commit_event){.type = COMMIT_EV_KEX_OK, .txid = txid, .spi = NEW}, *now);
	cr_assert_eq(nact, 0, "no ACK before READY (step 23)");
	cli(c, (struct commit_event){.type = COMMIT_EV_NEW_SA, .txid = txid, .spi = NEW}, *now);
	cr_assert_not_null(find(COMMIT_ACT_INSTALL), "step 41");
	const struct commit_msg *r = sent(COMMIT_SA_READY);
	cr_assert_not_null(r, "step 42");
	cr_assert_eq(r->txid, txid);
	cr_assert_eq(r->old_spi, OLD);
	cr_assert_eq(r->new_spi, NEW);
	return *r;
}

/* Field by field: struct assignment need not copy padding, memcmp would see it. */
static bool
timing_eq(const struct commit_timing *a, const struct commit_timing *b)
{
	return a->refresh == b->refresh && a->rto == b->rto && a->ready_wait == b->ready_wait &&
	       a->ready_tries == b->ready_tries;
}

static bool
deadlines_eq(const uint64_t *a, const uint64_t *b)
{
	for (int t = 0; t < COMMIT_T__COUNT; t++)
		if (a[t] != b[t])
			return false;
	return true;
}

static bool
server_eq(const struct commit_server *a, const struct commit_server *b)
{
	return a->profile == b->profile && timing_eq(&a->t, &b->t) && a->phase == b->phase &&
	       a->peer == b->peer && a->cur_spi == b->cur_spi && a->new_spi == b->new_spi &&
	       a->ready_spi == b->ready_spi && a->txid == b->txid &&
	       a->client_gen == b->client_gen && a->kex_ok == b->kex_ok && a->ready == b->ready &&
	       deadlines_eq(a->deadline, b->deadline);
}

static bool
client_eq(const struct commit_client *a, const struct commit_client *b)
{
	return a->profile == b->profile && timing_eq(&a->t, &b->t) && a->phase == b->phase &&
	       a->cur_spi == b->cur_spi && a->prev_spi == b->prev_spi &&
	       a->pending_spi == b->pending_spi && a->pending_txid == b->pending_txid &&
	       a->pending_live == b->pending_live && a->last_txid == b->last_txid &&
	       a->gen == b->gen && a->tries == b->tries && deadlines_eq(a->deadline, b->deadline);
}

static void
setup(struct commit_server *s, struct commit_client *c, enum commit_profile p)
{
	commit_server_init(s, p, commit_timing_default(), OLD, PWR_OS_UP);
	commit_client_init(c, p, commit_timing_default(), OLD);
}

static void
happy_path(enum commit_profile p)
{
	struct commit_server s;
	struct commit_client c;
	uint64_t now = 0;

	setup(&s, &c, p);
	struct commit_msg ready = start_refresh(&s, &c, &now);
	srv(&s, ev_msg(&ready), now);
	const struct commit_msg *ack = sent(COMMIT_SA_ACK);
	cr_assert_not_null(ack, "steps 23-25");
	struct commit_msg a = *ack;
	cli(&c, ev_msg(&a), now);
	const struct commit_msg *conf = sent(COMMIT_SA_CONFIRM);
	cr_assert_not_null(conf, "step 44");
	cr_assert_eq(find(COMMIT_ACT_ACTIVATE)->spi, NEW, "step 45");
	cr_expect_eq(conf->gen, 1);
	struct commit_msg cf = *conf;
	srv(&s, ev_msg(&cf), now);
	cr_assert_eq(find(COMMIT_ACT_ACTIVATE)->spi, NEW, "step 27");
	cr_expect_eq(s.cur_spi, NEW);
	cr_expect_eq(c.cur_spi, NEW);
	cr_expect_eq(s.phase, COMMIT_S_IDLE);
	cr_expect(commit_client_accepts(&c, NEW));
	cr_expect_eq(commit_client_accepts(&c, OLD), p == COMMIT_ROBUST,
		     "robust keeps old inbound");
}

Test(commit, strict_happy_path_figs_4_and_5)
{
	happy_path(COMMIT_STRICT);
}

Test(commit, robust_happy_path_figs_4_and_5)
{
	happy_path(COMMIT_ROBUST);
}

Test(commit, fig4_step20_no_refresh_while_client_not_operational)
{
	struct commit_server s;

	commit_server_init(&s, COMMIT_STRICT, commit_timing_default(), OLD, PWR_OS_HUNG);
	srv(&s, (struct commit_event){.type = COMMIT_EV_START}, 0);
	srv(&s, ev_timeout(COMMIT_T_REFRESH), 60 * S);
	cr_expect_null(find(COMMIT_ACT_START_KEX));
	cr_expect_not_null(find(COMMIT_ACT_ARM), "refresh timer re-armed");
	cr_expect_eq(s.cur_spi, OLD);
}

Test(commit, fig3_refresh_now_starts_the_first_exchange_only_for_an_operational_client)
{
	struct commit_server s;

	commit_server_init(&s, COMMIT_ROBUST, commit_timing_default(), 0, PWR_PRE_BOOT);
	srv(&s, (struct commit_event){.type = COMMIT_EV_REFRESH_NOW}, 5 * S);
	cr_expect_null(find(COMMIT_ACT_START_KEX), "no IKE while the client cannot run it");
	srv(&s, (struct commit_event){.type = COMMIT_EV_PEER, .peer = PWR_OS_UP}, 6 * S);
	srv(&s, (struct commit_event){.type = COMMIT_EV_REFRESH_NOW}, 7 * S);
	const struct commit_action *kex = find(COMMIT_ACT_START_KEX);
	cr_assert_not_null(kex, "Fig. 3: the server starts IKE once the client is up");
	uint32_t txid = kex->txid;
	srv(&s, (struct commit_event){.type = COMMIT_EV_REFRESH_NOW}, 8 * S);
	cr_expect_null(find(COMMIT_ACT_START_KEX), "one exchange at a time");
	cr_expect_eq(s.txid, txid);
}

Test(commit, fig4_step24_failed_exchange_keeps_old_even_after_ready)
{
	struct commit_server s;
	struct commit_client c;
	uint64_t now = 0;

	setup(&s, &c, COMMIT_STRICT);
	srv(&s, (struct commit_event){.type = COMMIT_EV_START}, now);
	now = 60 * S;
	srv(&s, ev_timeout(COMMIT_T_REFRESH), now);
	uint32_t txid = find(COMMIT_ACT_START_KEX)->txid;
	struct commit_msg ready = {COMMIT_SA_READY, txid, OLD, NEW, 0};
	srv(&s, ev_msg(&ready), now);
	cr_expect_null(sent(COMMIT_SA_ACK), "no ACK before the exchange succeeded");
	srv(&s, (struct commit_event){.type = COMMIT_EV_KEX_FAIL, .txid = txid}, now);
	cr_expect_null(sent(COMMIT_SA_ACK));
	cr_expect_eq(s.phase, COMMIT_S_IDLE);
	cr_expect_eq(s.cur_spi, OLD);
}

Test(commit, fig4_ack_needs_the_spi_the_client_stored)
{
	struct commit_server s;
	struct commit_client c;
	uint64_t now = 0;

	setup(&s, &c, COMMIT_ROBUST);
	struct commit_msg ready = start_refresh(&s, &c, &now);
	ready.new_spi = NEWER;
	srv(&s, ev_msg(&ready), now);
	cr_expect_null(sent(COMMIT_SA_ACK));
	cr_expect_eq(s.phase, COMMIT_S_IDLE);
}

Test(commit, fig5_step52_strict_client_restores_without_ack)
{
	struct commit_server s;
	struct commit_client c;
	uint64_t now = 0;

	setup(&s, &c, COMMIT_STRICT);
	start_refresh(&s, &c, &now);
	uint64_t dl = c.deadline[COMMIT_T_ACK];
	cli(&c, ev_timeout(COMMIT_T_ACK), dl - 1);
	cr_expect_eq(nact, 0, "early expiry ignored");
	cli(&c, ev_timeout(COMMIT_T_ACK), dl);
	cr_expect_eq(find(COMMIT_ACT_RESTORE)->spi, OLD);
	cr_expect_eq(c.cur_spi, OLD);
	cr_expect_eq(c.phase, COMMIT_C_IDLE);
	struct commit_msg late = {COMMIT_SA_ACK, 1, OLD, NEW, 0};
	cli(&c, ev_msg(&late), dl + S);
	cr_expect_eq(nact, 0, "strict: a late ACK commits nothing");
	cr_expect_eq(c.cur_spi, OLD);
}

/* The strict profile's window, which the suite must show. */
Test(commit, strict_lost_confirm_leaves_the_two_sides_apart)
{
	struct commit_server s;
	struct commit_client c;
	uint64_t now = 0;

	setup(&s, &c, COMMIT_STRICT);
	struct commit_msg ready = start_refresh(&s, &c, &now);
	srv(&s, ev_msg(&ready), now);
	struct commit_msg ack = *sent(COMMIT_SA_ACK);
	cli(&c, ev_msg(&ack), now); /* CONFIRM sent and lost */
	srv(&s, ev_timeout(COMMIT_T_CONFIRM), s.deadline[COMMIT_T_CONFIRM]);
	cr_expect_eq(s.cur_spi, OLD);
	cr_expect_eq(c.cur_spi, NEW);
	cr_expect_not(commit_client_accepts(&c, s.cur_spi));
}

Test(commit, robust_server_retransmits_ack_and_client_answers_each_time)
{
	struct commit_server s;
	struct commit_client c;
	uint64_t now = 0;

	setup(&s, &c, COMMIT_ROBUST);
	struct commit_msg ready = start_refresh(&s, &c, &now);
	srv(&s, ev_msg(&ready), now);
	struct commit_msg ack = *sent(COMMIT_SA_ACK);
	cli(&c, ev_msg(&ack), now); /* CONFIRM lost */
	cr_expect(commit_client_accepts(&c, OLD), "both SAs inbound");
	for (int i = 0; i < 3; i++) {
		now = s.deadline[COMMIT_T_CONFIRM];
		srv(&s, ev_timeout(COMMIT_T_CONFIRM), now);
		cr_assert_not_null(sent(COMMIT_SA_ACK), "ACK retransmitted");
		cr_expect_eq(s.phase, COMMIT_S_WAIT_CONFIRM, "robust never falls back");
		struct commit_msg again = *sent(COMMIT_SA_ACK);
		cli(&c, ev_msg(&again), now);
		cr_assert_not_null(sent(COMMIT_SA_CONFIRM), "duplicate ACK answered");
		cr_expect_null(find(COMMIT_ACT_ACTIVATE), "idempotent: nothing re-activated");
		cr_expect_eq(c.gen, 1);
	}
	struct commit_msg cf = *sent(COMMIT_SA_CONFIRM);
	srv(&s, ev_msg(&cf), now);
	cr_expect_eq(s.cur_spi, NEW);
	srv(&s, ev_msg(&cf), now);
	cr_expect_eq(nact, 0, "duplicate CONFIRM ignored");
	cli(&c, (struct commit_event){.type = COMMIT_EV_DATA, .spi = NEW}, now);
	cr_expect_eq(find(COMMIT_ACT_RETIRE)->spi, OLD, "first packet under new SPI retires old");
	cr_expect_not(commit_client_accepts(&c, OLD));
}

Test(commit, robust_client_retries_ready_then_gives_up_but_honours_a_late_ack)
{
	struct commit_server s;
	struct commit_client c;
	uint64_t now = 0;

	setup(&s, &c, COMMIT_ROBUST);
	struct commit_msg ready = start_refresh(&s, &c, &now);
	for (unsigned i = 1; i < c.t.ready_tries; i++) {
		now = c.deadline[COMMIT_T_ACK];
		cli(&c, ev_timeout(COMMIT_T_ACK), now);
		cr_assert_not_null(sent(COMMIT_SA_READY), "retry %u", i);
	}
	now = c.deadline[COMMIT_T_ACK];
	cli(&c, ev_timeout(COMMIT_T_ACK), now);
	cr_expect_not_null(find(COMMIT_ACT_RESTORE));
	cr_expect_eq(c.cur_spi, OLD);
	srv(&s, ev_msg(&ready), now);
	struct commit_msg ack = *sent(COMMIT_SA_ACK);
	cli(&c, ev_msg(&ack), now);
	cr_expect_not_null(sent(COMMIT_SA_CONFIRM), "the server committed: so does the NIC");
	cr_expect_eq(c.cur_spi, NEW);
}

Test(commit, reset_keeps_nvram_and_drops_timers)
{
	struct commit_server s;
	struct commit_client c, r;
	uint64_t now = 0;

	setup(&s, &c, COMMIT_ROBUST);
	start_refresh(&s, &c, &now);
	r = c;
	cli(&r, (struct commit_event){.type = COMMIT_EV_RESET}, now + 1);
	cr_expect_not_null(sent(COMMIT_SA_READY), "robust: READY again after reset");
	cr_expect_eq(r.pending_spi, NEW);
	r = c;
	r.profile = COMMIT_STRICT;
	cli(&r, (struct commit_event){.type = COMMIT_EV_RESET}, now + 1);
	cr_expect_not_null(find(COMMIT_ACT_RESTORE), "strict: the wait died with the reset");
	cr_expect_eq(r.deadline[COMMIT_T_ACK], 0);
}

Test(commit, forget_leaves_nothing_but_profile_and_timing)
{
	for (int p = COMMIT_STRICT; p <= COMMIT_ROBUST; p++) {
		struct commit_server s, fresh_s;
		struct commit_client c, fresh_c;
		uint64_t now = 0;

		setup(&s, &c, p);
		struct commit_msg ready = start_refresh(&s, &c, &now);
		srv(&s, ev_msg(&ready), now);
		cr_assert_eq(s.phase, COMMIT_S_WAIT_CONFIRM);
		cr_assert_eq(c.phase, COMMIT_C_WAIT_ACK);

		srv(&s, (struct commit_event){.type = COMMIT_EV_FORGET, .peer = PWR_COLD_BOOT},
		    now);
		cr_expect_eq(nact, 0, "the node's timers went with its context");
		commit_server_init(&fresh_s, p, commit_timing_default(), 0, PWR_COLD_BOOT);
		cr_expect(server_eq(&s, &fresh_s), "server: as if just created");

		cli(&c, (struct commit_event){.type = COMMIT_EV_FORGET}, now);
		cr_expect_eq(nact, 0);
		commit_client_init(&fresh_c, p, commit_timing_default(), 0);
		cr_expect(client_eq(&c, &fresh_c), "client: as if just created");
		cr_expect_not(commit_client_accepts(&c, OLD));
		cr_expect_not(commit_client_accepts(&c, NEW));
		struct commit_msg ack = {COMMIT_SA_ACK, ready.txid, OLD, NEW, 0};
		cli(&c, ev_msg(&ack), now + 1);
		cr_expect_eq(nact, 0, "%s: an ACK of the forgotten transaction commits nothing",
			     commit_profile_name(p));
	}
}

Test(commit, forget_refuses_an_unknown_power_state)
{
	struct commit_server s, s0;

	commit_server_init(&s, COMMIT_ROBUST, commit_timing_default(), OLD, PWR_OS_UP);
	s0 = s;
	struct commit_event ev = {.type = COMMIT_EV_FORGET, .peer = PWR__COUNT};
	cr_expect_eq(commit_server_step(&s, &ev, 0, act, COMMIT_MAX_ACTIONS), -1);
	cr_expect(server_eq(&s, &s0));
}

Test(commit, load_sets_the_sa_in_use_only_while_idle)
{
	struct commit_server s, s0;
	struct commit_client c, c0;
	uint64_t now = 0;
	struct commit_event load = {.type = COMMIT_EV_LOAD, .spi = NEWER};

	setup(&s, &c, COMMIT_ROBUST);
	srv(&s, load, now);
	cr_expect_eq(nact, 0);
	cr_expect_eq(s.cur_spi, NEWER);
	cr_expect_eq(s.phase, COMMIT_S_IDLE);

	setup(&s, &c, COMMIT_ROBUST);
	start_refresh(&s, &c, &now);
	cr_assert_eq(s.phase, COMMIT_S_KEX);
	s0 = s;
	cr_expect_eq(commit_server_step(&s, &load, now, act, COMMIT_MAX_ACTIONS), -1,
		     "mid-commit the machine decides the SA in use");
	cr_expect(server_eq(&s, &s0));

	c0 = c;
	cr_expect_eq(commit_client_step(&c, &load, now, act, COMMIT_MAX_ACTIONS), -1,
		     "the NIC loads from its NVRAM, not by event");
	cr_expect(client_eq(&c, &c0));
}

Test(commit, pending_lost_restarts_without_the_transaction)
{
	for (int p = COMMIT_STRICT; p <= COMMIT_ROBUST; p++) {
		struct commit_server s;
		struct commit_client c;
		uint64_t now = 0;

		setup(&s, &c, p);
		struct commit_msg ready = start_refresh(&s, &c, &now);
		cli(&c, (struct commit_event){.type = COMMIT_EV_PENDING_LOST}, now + 1);
		cr_expect_eq(nact, 0, "%s: no READY again, no RESTORE: nothing is pending",
			     commit_profile_name(p));
		cr_expect_eq(c.phase, COMMIT_C_IDLE);
		cr_expect_eq(c.pending_spi, 0);
		cr_expect_eq(c.pending_txid, 0);
		cr_expect_not(c.pending_live);
		cr_expect_eq(c.deadline[COMMIT_T_ACK], 0, "timers died with the restart");
		cr_expect_eq(c.cur_spi, OLD);
		cr_expect_not(commit_client_accepts(&c, NEW));
		struct commit_msg ack = {COMMIT_SA_ACK, ready.txid, OLD, NEW, 0};
		cli(&c, ev_msg(&ack), now + 2);
		cr_expect_eq(nact, 0, "a late ACK finds nothing to commit");
		cr_expect_eq(c.cur_spi, OLD);
	}
}

Test(commit, pending_lost_without_a_pending_sa_is_a_reset)
{
	struct commit_client a, b;
	uint64_t now = 0;
	struct commit_server s;

	setup(&s, &a, COMMIT_ROBUST);
	struct commit_msg ready = start_refresh(&s, &a, &now);
	srv(&s, ev_msg(&ready), now);
	struct commit_msg ack = *sent(COMMIT_SA_ACK);
	cli(&a, ev_msg(&ack), now); /* committed: nothing pending, the previous SA kept */
	b = a;
	cli(&a, (struct commit_event){.type = COMMIT_EV_RESET}, now + 1);
	cli(&b, (struct commit_event){.type = COMMIT_EV_PENDING_LOST}, now + 1);
	cr_expect(client_eq(&a, &b));
}

Test(commit, peer_goes_down_strict_aborts_robust_holds_after_ack)
{
	for (int p = COMMIT_STRICT; p <= COMMIT_ROBUST; p++) {
		struct commit_server s;
		struct commit_client c;
		uint64_t now = 0;

		setup(&s, &c, p);
		struct commit_msg ready = start_refresh(&s, &c, &now);
		srv(&s, ev_msg(&ready), now);
		srv(&s, (struct commit_event){.type = COMMIT_EV_PEER, .peer = PWR_OS_HUNG}, now);
		cr_expect_eq(s.phase, p == COMMIT_STRICT ? COMMIT_S_IDLE : COMMIT_S_WAIT_CONFIRM,
			     "%s", commit_profile_name(p));
	}
}

Test(commit, refuses_wrong_side_events_and_small_buffers_without_change)
{
	struct commit_server s, s0;
	struct commit_client c, c0;
	struct commit_event ev = {.type = COMMIT_EV_NEW_SA, .txid = 1, .spi = NEW};

	setup(&s, &c, COMMIT_ROBUST);
	cr_expect_eq(commit_server_step(&s, &ev, 0, act, COMMIT_MAX_ACTIONS), -1);
	ev.type = COMMIT_EV_KEX_OK;
	cr_expect_eq(commit_client_step(&c, &ev, 0, act, COMMIT_MAX_ACTIONS), -1);
	ev.type = COMMIT_EV__COUNT;
	cr_expect_eq(commit_client_step(&c, &ev, 0, act, COMMIT_MAX_ACTIONS), -1);
	ev = (struct commit_event){.type = COMMIT_EV_PEER, .peer = PWR__COUNT};
	cr_expect_eq(commit_server_step(&s, &ev, 0, act, COMMIT_MAX_ACTIONS), -1);

	ev = (struct commit_event){.type = COMMIT_EV_NEW_SA, .txid = 1, .spi = NEW};
	c0 = c;
	cr_expect_eq(commit_client_step(&c, &ev, 0, act, 1), -1, "3 actions do not fit in 1");
	cr_expect_eq(memcmp(&c, &c0, sizeof c), 0, "refused step changed the client");
	ev = (struct commit_event){.type = COMMIT_EV_START};
	s0 = s;
	cr_expect_eq(commit_server_step(&s, &ev, 0, act, 0), -1);
	cr_expect_eq(memcmp(&s, &s0, sizeof s), 0);
}

Test(commit, names)
{
	enum commit_profile p;
	cr_expect_str_eq(commit_msg_name(COMMIT_SA_CONFIRM), "SA_CONFIRM");
	cr_expect_str_eq(commit_msg_name(0), "?");
	cr_expect_str_eq(commit_timer_name(COMMIT_T__COUNT), "?");
	cr_expect_str_eq(commit_action_name(COMMIT_ACT_RETIRE), "retire");
	cr_expect_str_eq(commit_event_name(COMMIT_EV_DATA), "data");
	cr_expect_str_eq(commit_event_name(COMMIT_EV_PENDING_LOST), "pending_lost");
	cr_expect_str_eq(commit_event_name(COMMIT_EV__COUNT), "?");
	for (int e = 0; e < COMMIT_EV__COUNT; e++)
		cr_expect_str_neq(commit_event_name(e), "?", "event %d has no name", e);
	cr_expect_eq(commit_profile_parse("robust", &p), 0);
	cr_expect_eq(p, COMMIT_ROBUST);
	cr_expect_eq(commit_profile_parse("Robust", &p), -1);
}

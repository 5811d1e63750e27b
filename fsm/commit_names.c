/* Names of the commit machines' enums for logs and traces, and defaults. */
#include <string.h>

#include "fsm/commit.h"

enum { NS = 1000000000ull };

struct commit_timing
commit_timing_default(void)
{
	struct commit_timing t = {
	    .refresh = 60ull * NS, .rto = 1ull * NS, .ready_wait = 6ull * NS, .ready_tries = 4};
	return t;
}

static const char *const profiles[] = {[COMMIT_STRICT] = "strict", [COMMIT_ROBUST] = "robust"};

static const char *const msgs[COMMIT_MSG__END] = {
    [COMMIT_SA_READY] = "SA_READY", [COMMIT_SA_ACK] = "SA_ACK", [COMMIT_SA_CONFIRM] = "SA_CONFIRM"};

static const char *const acts[COMMIT_ACT__COUNT] = {
    [COMMIT_ACT_SEND] = "send",	      [COMMIT_ACT_START_KEX] = "start_kex",
    [COMMIT_ACT_INSTALL] = "install", [COMMIT_ACT_ACTIVATE] = "activate",
    [COMMIT_ACT_RESTORE] = "restore", [COMMIT_ACT_RETIRE] = "retire",
    [COMMIT_ACT_ARM] = "arm",	      [COMMIT_ACT_CANCEL] = "cancel"};

static const char *const events[COMMIT_EV__COUNT] = {[COMMIT_EV_START] = "start",
						     [COMMIT_EV_TIMEOUT] = "timeout",
						     [COMMIT_EV_KEX_OK] = "kex_ok",
						     [COMMIT_EV_KEX_FAIL] = "kex_fail",
						     [COMMIT_EV_NEW_SA] = "new_sa",
						     [COMMIT_EV_MSG] = "msg",
						     [COMMIT_EV_PEER] = "peer",
						     [COMMIT_EV_RESET] = "reset",
						     [COMMIT_EV_DATA] = "data",
						     [COMMIT_EV_REFRESH_NOW] = "refresh_now",
						     [COMMIT_EV_FORGET] = "forget",
						     [COMMIT_EV_LOAD] = "load",
						     [COMMIT_EV_PENDING_LOST] = "pending_lost"};

static const char *const timers[COMMIT_T__COUNT] = {[COMMIT_T_REFRESH] = "refresh",
						    [COMMIT_T_READY] = "ready",
						    [COMMIT_T_CONFIRM] = "confirm",
						    [COMMIT_T_ACK] = "ack"};

#define NAME(tab, i) ((unsigned)(i) < sizeof tab / sizeof tab[0] && tab[i] ? tab[i] : "?")

const char *
commit_profile_name(enum commit_profile p)
{
	return NAME(profiles, p);
}

int
commit_profile_parse(const char *name, enum commit_profile *out)
{
	for (unsigned i = 0; name && i < sizeof profiles / sizeof profiles[0]; i++) {
		if (strcmp(name, profiles[i]) == 0) {
			*out = (enum commit_profile)i;
			return 0;
		}
	}
	return -1;
}

const char *
commit_msg_name(enum commit_msg_type t)
{
	return NAME(msgs, t);
}

const char *
commit_action_name(enum commit_action_type t)
{
	return NAME(acts, t);
}

const char *
commit_event_name(enum commit_event_type t)
{
	return NAME(events, t);
}

const char *
commit_timer_name(enum commit_timer t)
{
	return NAME(timers, t);
}

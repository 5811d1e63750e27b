/*
 * The refresh commit of patent Figs. 4 (server) and 5 (client NIC) as two
 * pure machines. A node feeds each machine events (a timer expired, the
 * key exchange finished, a commit message arrived, the peer's power state
 * changed) with the current virtual time, and carries out the actions the
 * step returns (send a message, start IKE, install / activate / restore an
 * SA, arm or cancel a timer at an absolute deadline).
 *
 * Profiles:
 *  strict  Figs. 4 and 5 literally: one ACK, one CONFIRM, each side gives up
 *          on a timeout and keeps what it had. A lost CONFIRM leaves the
 *          client on the new SA and the server on the old one.
 *  robust  the NIC accepts both the previous and the new SA inbound until a
 *          packet under the new SPI arrives; READY and ACK are retransmitted,
 *          ACK and CONFIRM are idempotent, and a server that has sent an ACK
 *          never falls back (the client may already have committed).
 *
 * Timers, all by id with absolute deadlines in ns:
 *  COMMIT_T_REFRESH  server: Fig. 4 step 21, "SA refresh timer".
 *  COMMIT_T_READY    server: how long to wait for "SA is ready" (step 23).
 *  COMMIT_T_CONFIRM  server: strict, wait for CONFIRM (step 26); robust,
 *                    retransmit ACK every rto until CONFIRM.
 *  COMMIT_T_ACK      client: strict, wait for ACK (step 43); robust,
 *                    retransmit READY every rto, give up after ready_tries.
 */
#ifndef RMCPSEC_FSM_COMMIT_H
#define RMCPSEC_FSM_COMMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsm/power.h"

enum commit_profile { COMMIT_STRICT = 0, COMMIT_ROBUST };

enum commit_msg_type {
	COMMIT_SA_READY = 1, /* client -> server, Fig. 5 step 42 */
	COMMIT_SA_ACK,	     /* server -> client, Fig. 4 step 25 */
	COMMIT_SA_CONFIRM,   /* client -> server, Fig. 5 step 44 */
	COMMIT_MSG__END	     /* one past the last */
};

/* One commit message as the node puts it on the wire. */
struct commit_msg {
	enum commit_msg_type type;
	uint32_t txid;	  /* the refresh transaction, chosen by the server */
	uint32_t old_spi; /* the SA in use when the refresh started */
	uint32_t new_spi; /* the SA being committed */
	uint32_t gen;	  /* the client's NVRAM generation (bumped per commit) */
};

enum commit_timer {
	COMMIT_T_REFRESH = 0,
	COMMIT_T_READY,
	COMMIT_T_CONFIRM,
	COMMIT_T_ACK,
	COMMIT_T__COUNT
};

enum commit_event_type {
	COMMIT_EV_START = 0,	/* server: begin; arms the refresh timer */
	COMMIT_EV_TIMEOUT,	/* .timer expired (stale or early expiries are ignored) */
	COMMIT_EV_KEX_OK,	/* server: IKE for .txid produced .spi */
	COMMIT_EV_KEX_FAIL,	/* server: IKE for .txid failed */
	COMMIT_EV_NEW_SA,	/* client: the host's IKE handed the NIC .spi for .txid (step 40) */
	COMMIT_EV_MSG,		/* a commit message .msg arrived */
	COMMIT_EV_PEER,		/* server: the client is now in power state .peer */
	COMMIT_EV_RESET,	/* client: the NIC restarted; RAM and timers lost, NVRAM kept */
	COMMIT_EV_DATA,		/* client: a valid packet arrived under .spi */
	COMMIT_EV_REFRESH_NOW,	/* server: refresh now (no SA yet, or the client lost it): Fig. 3 */
	COMMIT_EV_FORGET,	/* the context is gone: no SA, no transaction, no timers; server:
				 * .peer is the client's state as the node knows it */
	COMMIT_EV_LOAD,		/* server, idle only: .spi is the SA in use (provisioned, or read
				 * from the store after a restart or takeover) */
	COMMIT_EV_PENDING_LOST, /* client: a RESET in which NVRAM came back without the pending
				 * SA (a power cut tore its write): the transaction is forgotten */
	COMMIT_EV__COUNT
};

struct commit_event {
	enum commit_event_type type;
	enum commit_timer timer;
	uint32_t txid;
	uint32_t spi;
	enum power_state peer;
	struct commit_msg msg;
};

enum commit_action_type {
	COMMIT_ACT_SEND = 0,  /* send .msg to the peer */
	COMMIT_ACT_START_KEX, /* server: run IKE for .txid */
	COMMIT_ACT_INSTALL,   /* client: store .spi as pending in NVRAM (step 41) */
	COMMIT_ACT_ACTIVATE,  /* use .spi from now on (server step 27, client step 45) */
	COMMIT_ACT_RESTORE,   /* client: drop pending, keep .spi (step 52) */
	COMMIT_ACT_RETIRE,    /* client, robust: stop accepting previous SA .spi inbound */
	COMMIT_ACT_ARM,	      /* arm .timer at absolute .deadline (replaces an armed one) */
	COMMIT_ACT_CANCEL,    /* cancel .timer */
	COMMIT_ACT__COUNT
};

struct commit_action {
	enum commit_action_type type;
	enum commit_timer timer;
	uint64_t deadline;
	uint32_t txid;
	uint32_t spi;
	struct commit_msg msg;
};

/* No step emits more than this many actions. */
enum { COMMIT_MAX_ACTIONS = 6 };

struct commit_timing {
	uint64_t refresh;     /* refresh interval; << SA lifetime (patent, Fig. 4) */
	uint64_t rto;	      /* one retransmission timeout */
	uint64_t ready_wait;  /* server: wait for READY after starting IKE */
	unsigned ready_tries; /* client, robust: READY sends before giving up */
};

/* 60 s refresh, 1 s rto, 6 s READY wait, 4 READY sends. */
struct commit_timing commit_timing_default(void);

enum commit_server_phase { COMMIT_S_IDLE = 0, COMMIT_S_KEX, COMMIT_S_WAIT_CONFIRM };

struct commit_server {
	enum commit_profile profile;
	struct commit_timing t;
	enum commit_server_phase phase;
	enum power_state peer; /* last known client state */
	uint32_t cur_spi;      /* the SA the server sends under */
	uint32_t new_spi;      /* refreshed SA, once IKE succeeded */
	uint32_t ready_spi;    /* the SA the client said it stored (READY) */
	uint32_t txid;	       /* current or last transaction */
	uint32_t client_gen;   /* from the last READY / CONFIRM */
	bool kex_ok, ready;
	uint64_t deadline[COMMIT_T__COUNT]; /* 0 = not armed */
};

enum commit_client_phase { COMMIT_C_IDLE = 0, COMMIT_C_WAIT_ACK };

/* Everything but deadline[] and tries is what the NIC keeps in NVRAM. */
struct commit_client {
	enum commit_profile profile;
	struct commit_timing t;
	enum commit_client_phase phase;
	uint32_t cur_spi;     /* active SA */
	uint32_t prev_spi;    /* robust: still accepted inbound; 0 = none */
	uint32_t pending_spi; /* stored, awaiting ACK; 0 = none */
	uint32_t pending_txid;
	bool pending_live;  /* false: given up on, but a late ACK may still commit it (robust) */
	uint32_t last_txid; /* last committed transaction */
	uint32_t gen;	    /* NVRAM generation */
	unsigned tries;
	uint64_t deadline[COMMIT_T__COUNT];
};

void commit_server_init(struct commit_server *s, enum commit_profile p, struct commit_timing t,
			uint32_t spi, enum power_state peer);
void commit_client_init(struct commit_client *c, enum commit_profile p, struct commit_timing t,
			uint32_t spi);

/*
 * One step: updates the machine, writes at most cap actions (cap >=
 * COMMIT_MAX_ACTIONS always suffices) and returns how many, or -1 for an
 * event the machine does not take (wrong side, bad type, LOAD mid-commit)
 * or cap too small; on -1 the machine is unchanged.
 */
int commit_server_step(struct commit_server *s, const struct commit_event *ev, uint64_t now,
		       struct commit_action *out, size_t cap);
int commit_client_step(struct commit_client *c, const struct commit_event *ev, uint64_t now,
		       struct commit_action *out, size_t cap);

/* Does the NIC accept an inbound packet under spi right now? */
bool commit_client_accepts(const struct commit_client *c, uint32_t spi);

const char *commit_profile_name(enum commit_profile p);
int commit_profile_parse(const char *name, enum commit_profile *out);
const char *commit_msg_name(enum commit_msg_type t);
const char *commit_action_name(enum commit_action_type t);
const char *commit_event_name(enum commit_event_type t);
const char *commit_timer_name(enum commit_timer t);

#endif

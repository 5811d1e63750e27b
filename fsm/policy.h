/*
 * Patent Fig. 6 as data: for a (client state, server state) pair, what the
 * management traffic between them may do. Rows 2-9 are the patent's; rows
 * numbered 10 and up are derived here (docs/internals/fsm.md §2) so that every pair
 * of the seven power states matches exactly one row.
 */
#ifndef RMCPSEC_FSM_POLICY_H
#define RMCPSEC_FSM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "fsm/power.h"

/* Patent Fig. 6 discussion: "Destination port = 298h"; clear
 * management uses RMCP's own port (ASF 2.0 §3.2.4, "RMCP port 623"). */
enum fig6_port {
	FIG6_PORT_SECURE = 0x298, /* 664, ESP + AH */
	FIG6_PORT_CLEAR = 623,
};

/* Which SA protects secured management in this pair. */
enum fig6_sa {
	FIG6_SA_NONE = 0,	  /* nothing secured can flow */
	FIG6_SA_STORED,		  /* the SA in the client's NVRAM, frozen */
	FIG6_SA_NEW_AFTER_COMMIT, /* stored SA, replaced by the refreshed one only after commit */
};

struct fig6_clear {
	bool allowed;	 /* clear management may flow at all */
	bool config_bit; /* ... only if the client's configuration bit is set */
	bool restricted; /* ... only the restricted message set */
	bool unilateral; /* the client starts it on its own (row 8) */
	unsigned port;	 /* ... only on this UDP port (0 when not allowed) */
};

struct fig6_row {
	int row;	  /* patent row 2..9, or 10+ for derived rows */
	bool patent;	  /* true for the patent's own rows */
	unsigned client;  /* bit set of enum power_state */
	unsigned server;  /* bit set of enum power_state */
	const char *text; /* the row's third column, quoted (patent rows) */
	bool secure;	  /* secured management may flow */
	enum fig6_sa sa;
	bool refresh; /* the server attempts an SA refresh (Fig. 4) */
	struct fig6_clear clear;
	bool failover; /* control passes to the secondary server (claim 11) */
};

#define FIG6_BIT(s) (1u << (s))
#define FIG6_ANY    ((1u << PWR__COUNT) - 1)

/* The whole table, in match order. */
const struct fig6_row *fig6_rows(size_t *count);
/* The one row for this pair, or NULL for out-of-range states. */
const struct fig6_row *fig6_lookup(enum power_state client, enum power_state server);
/* The patent row with this number (2..9), or NULL. */
const struct fig6_row *fig6_row_by_number(int row);

/*
 * May a clear (unprotected) management message flow under this row?
 * config_bit: the client's "manage without security" bit; port: the UDP
 * destination port; restricted_msg: the message is in the restricted set.
 */
bool fig6_clear_permitted(const struct fig6_row *r, bool config_bit, unsigned port,
			  bool restricted_msg);

const char *fig6_sa_name(enum fig6_sa sa); /* "none", "stored", "new_after_commit" */

/*
 * The table as one JSON array into buf (NUL-terminated). Returns the length
 * written, or -1 if cap is too small (buf then holds a truncated prefix).
 */
int fig6_policy_json(char *buf, size_t cap);

#endif

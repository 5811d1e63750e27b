/*
 * Patent Fig. 6, one entry per row. The texts are the third column of the
 * figure, verbatim; docs/internals/fsm.md §2 gives the reading of each field.
 */
#include "fsm/policy.h"

#define B(s) FIG6_BIT(PWR_##s)

/* Rows 3, 4, 5 and 10: the client keeps its stored SA, nobody refreshes. */
#define FROZEN_SA .secure = true, .sa = FIG6_SA_STORED, .refresh = false

/* Rows 6, 8, 9 and 12: clear, behind the configuration bit, on port 623. */
#define CLEAR(restr, unil)                                                                         \
	.clear = {.allowed = true,                                                                 \
		  .config_bit = true,                                                              \
		  .restricted = (restr),                                                           \
		  .unilateral = (unil),                                                            \
		  .port = FIG6_PORT_CLEAR}

static const struct fig6_row rows[] = {
    {.row = 2,
     .patent = true,
     .client = B(OS_UP),
     .server = B(OS_UP),
     .text = "IPSec stack on both client and server systems Newly negotiated SA Updated in "
	     "client system if there is successful completion of SA refresh",
     .secure = true,
     .sa = FIG6_SA_NEW_AFTER_COMMIT,
     .refresh = true},
    {.row = 3,
     .patent = true,
     .client = B(OS_HUNG),
     .server = B(OS_UP),
     .text = "IPSec stack not on client system Previously negotiated SA stored in client system "
	     "is inhibited from being updated",
     FROZEN_SA},
    {.row = 4,
     .patent = true,
     .client = B(PRE_BOOT),
     .server = B(OS_UP),
     .text = "IPSec stack not on client system Previously negotiated SA stored in client system "
	     "is inhibited from being updated",
     FROZEN_SA},
    {.row = 5,
     .patent = true,
     .client = B(OS_SUSPEND),
     .server = B(OS_UP),
     .text = "IPSec stack not on client system Previously negotiated SA stored in client system "
	     "is inhibited from being updated",
     FROZEN_SA},
    {.row = 6,
     .patent = true,
     .client = B(COLD_BOOT),
     .server = B(OS_UP),
     .text = "Client system does not have any security context Configuration option is provided "
	     "for managing client system without security",
     CLEAR(true, false)},
    /* The patent's "Any state" is its five states; a hung primary is
     * unusable whatever the client does, so soft_off and mech_off too. */
    {.row = 7,
     .patent = true,
     .client = FIG6_ANY,
     .server = B(OS_HUNG),
     .text = "Client system is unmanageable by OS hung server system. Fault tolerant system is "
	     "provided for switching control to secondary server system",
     .failover = true},
    {.row = 8,
     .patent = true,
     .client = B(OS_HUNG) | B(PRE_BOOT),
     .server = B(COLD_BOOT),
     .text = "Server system does not have any security context Configuration option is provided "
	     "for managing client system without security",
     CLEAR(true, true)},
    /* Row 9 names no restriction: clear "until such time that a security
     * context can be established". */
    {.row = 9,
     .patent = true,
     .client = B(COLD_BOOT),
     .server = B(COLD_BOOT),
     .text = "Neither system has any security context Configuration option is provided for "
	     "allowing traffic to be communicated in the clear",
     CLEAR(false, false)},
    {.row = 10,
     .client = B(SOFT_OFF),
     .server = B(OS_UP),
     .text = "derived: client off on aux power; the NIC keeps the stored SA, as rows 3-5",
     FROZEN_SA},
    {.row = 11,
     .client = FIG6_ANY,
     .server = B(PRE_BOOT) | B(OS_SUSPEND) | B(SOFT_OFF) | B(MECH_OFF),
     .text = "derived: primary server not running its management software; as row 7",
     .failover = true},
    {.row = 12,
     .client = B(OS_UP) | B(OS_SUSPEND) | B(SOFT_OFF),
     .server = B(COLD_BOOT),
     .text = "derived: server lost its security context, client NIC alive; as row 8 but the "
	     "client does not act alone",
     CLEAR(true, false)},
    {.row = 13,
     .client = B(MECH_OFF),
     .server = B(OS_UP) | B(COLD_BOOT),
     .text = "derived: client without power; its NIC is dead and nothing can flow"},
};

#define NROWS (sizeof rows / sizeof rows[0])

const struct fig6_row *
fig6_rows(size_t *count)
{
	if (count)
		*count = NROWS;
	return rows;
}

const struct fig6_row *
fig6_lookup(enum power_state client, enum power_state server)
{
	if ((unsigned)client >= PWR__COUNT || (unsigned)server >= PWR__COUNT)
		return NULL;
	for (size_t i = 0; i < NROWS; i++)
		if ((rows[i].client & FIG6_BIT(client)) && (rows[i].server & FIG6_BIT(server)))
			return &rows[i];
	return NULL;
}

const struct fig6_row *
fig6_row_by_number(int row)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].patent && rows[i].row == row)
			return &rows[i];
	return NULL;
}

bool
fig6_clear_permitted(const struct fig6_row *r, bool config_bit, unsigned port, bool restricted_msg)
{
	if (!r || !r->clear.allowed)
		return false;
	if (r->clear.config_bit && !config_bit)
		return false;
	if (port != r->clear.port)
		return false;
	return !r->clear.restricted || restricted_msg;
}

const char *
fig6_sa_name(enum fig6_sa sa)
{
	switch (sa) {
	case FIG6_SA_NONE:
		return "none";
	case FIG6_SA_STORED:
		return "stored";
	case FIG6_SA_NEW_AFTER_COMMIT:
		return "new_after_commit";
	}
	return "?";
}

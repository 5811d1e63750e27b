/*
 * System power states and their one transition gate (patent
 * Fig. 6 state descriptions). The table below is the whole policy; the
 * reasoning for each edge is in docs/internals/fsm.md.
 */
#include <string.h>

#include "fsm/power.h"

#define NO (-1)

/*
 * next_state[s][c]: the state reached from s on cause c, or NO when c
 * cannot happen in s (e.g. a wake while not suspended, a power-down while
 * already off, anything but restore or a fresh install with no power).
 */
/* clang-format off */
static const signed char next_state[PWR__COUNT][PC__COUNT] = {
	/*                 boot_c        hang         reset          pdown         pup           pcycle         susp            wake         loss          restore       nvclr          fresh */
	[PWR_OS_UP]      = {NO,          PWR_OS_HUNG, PWR_PRE_BOOT,  PWR_SOFT_OFF, NO,           PWR_PRE_BOOT,  PWR_OS_SUSPEND, NO,          PWR_MECH_OFF, NO,           PWR_COLD_BOOT, PWR_COLD_BOOT},
	[PWR_OS_HUNG]    = {NO,          NO,          PWR_PRE_BOOT,  PWR_SOFT_OFF, NO,           PWR_PRE_BOOT,  NO,             NO,          PWR_MECH_OFF, NO,           PWR_COLD_BOOT, PWR_COLD_BOOT},
	[PWR_PRE_BOOT]   = {PWR_OS_UP,   NO,          PWR_PRE_BOOT,  PWR_SOFT_OFF, NO,           PWR_PRE_BOOT,  NO,             NO,          PWR_MECH_OFF, NO,           PWR_COLD_BOOT, PWR_COLD_BOOT},
	[PWR_OS_SUSPEND] = {NO,          NO,          PWR_PRE_BOOT,  PWR_SOFT_OFF, PWR_OS_UP,    PWR_PRE_BOOT,  NO,             PWR_OS_UP,   PWR_MECH_OFF, NO,           PWR_COLD_BOOT, PWR_COLD_BOOT},
	[PWR_COLD_BOOT]  = {PWR_OS_UP,   NO,          PWR_COLD_BOOT, PWR_SOFT_OFF, NO,           PWR_COLD_BOOT, NO,             NO,          PWR_MECH_OFF, NO,           PWR_COLD_BOOT, PWR_COLD_BOOT},
	[PWR_SOFT_OFF]   = {NO,          NO,          NO,            NO,           PWR_PRE_BOOT, PWR_PRE_BOOT,  NO,             NO,          PWR_MECH_OFF, NO,           NO,            PWR_COLD_BOOT},
	[PWR_MECH_OFF]   = {NO,          NO,          NO,            NO,           NO,           NO,            NO,             NO,          NO,           PWR_SOFT_OFF, NO,            PWR_COLD_BOOT},
};
/* clang-format on */

/* Patent Fig. 6 discussion: "OS up ... having IKE running ... and an
 * established security context"; hung, pre-boot and suspend keep "a
 * pre-established security context, but IKE being unavailable"; cold boot
 * has "no security context to rely upon". */
static const struct power_caps caps[PWR__COUNT] = {
    [PWR_OS_UP] = {.ike = true, .nic_alive = true, .context = true},
    [PWR_OS_HUNG] = {.ike = false, .nic_alive = true, .context = true},
    [PWR_PRE_BOOT] = {.ike = false, .nic_alive = true, .context = true},
    [PWR_OS_SUSPEND] = {.ike = false, .nic_alive = true, .context = true},
    [PWR_COLD_BOOT] = {.ike = false, .nic_alive = true, .context = false},
    [PWR_SOFT_OFF] = {.ike = false, .nic_alive = true, .context = true},
    [PWR_MECH_OFF] = {.ike = false, .nic_alive = false, .context = true},
};

static const char *const state_names[PWR__COUNT] = {
    [PWR_OS_UP] = "os_up",	     [PWR_OS_HUNG] = "os_hung",	    [PWR_PRE_BOOT] = "pre_boot",
    [PWR_OS_SUSPEND] = "os_suspend", [PWR_COLD_BOOT] = "cold_boot", [PWR_SOFT_OFF] = "soft_off",
    [PWR_MECH_OFF] = "mech_off",
};

static const char *const cause_names[PC__COUNT] = {
    [PC_BOOT_COMPLETE] = "boot_complete",
    [PC_OS_HANG] = "os_hang",
    [PC_RESET] = "reset",
    [PC_POWER_DOWN] = "power_down",
    [PC_POWER_UP] = "power_up",
    [PC_POWER_CYCLE] = "power_cycle",
    [PC_SUSPEND] = "suspend",
    [PC_WAKE] = "wake",
    [PC_POWER_LOSS] = "power_loss",
    [PC_POWER_RESTORE] = "power_restore",
    [PC_NVRAM_CLEAR] = "nvram_clear",
    [PC_FRESH_INSTALL] = "fresh_install",
};

static bool
state_ok(enum power_state s)
{
	return (unsigned)s < PWR__COUNT;
}

static bool
cause_ok(enum power_cause c)
{
	return (unsigned)c < PC__COUNT;
}

int
power_step(enum power_state s, enum power_cause c, enum power_state *next)
{
	if (!state_ok(s) || !cause_ok(c) || next_state[s][c] == NO)
		return -1;
	if (next)
		*next = (enum power_state)next_state[s][c];
	return 0;
}

bool
power_legal(enum power_state s, enum power_cause c)
{
	return power_step(s, c, NULL) == 0;
}

struct power_caps
power_caps(enum power_state s)
{
	struct power_caps none = {false, false, false};

	return state_ok(s) ? caps[s] : none;
}

bool
power_is_powered(enum power_state s)
{
	return state_ok(s) && s != PWR_SOFT_OFF && s != PWR_MECH_OFF;
}

const char *
power_state_name(enum power_state s)
{
	return state_ok(s) ? state_names[s] : "?";
}

const char *
power_cause_name(enum power_cause c)
{
	return cause_ok(c) ? cause_names[c] : "?";
}

int
power_state_parse(const char *name, enum power_state *out)
{
	for (int i = 0; name && i < PWR__COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum power_state)i;
			return 0;
		}
	}
	return -1;
}

int
power_cause_parse(const char *name, enum power_cause *out)
{
	for (int i = 0; name && i < PC__COUNT; i++) {
		if (strcmp(name, cause_names[i]) == 0) {
			*out = (enum power_cause)i;
			return 0;
		}
	}
	return -1;
}

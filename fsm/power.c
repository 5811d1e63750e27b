#include "fsm/power.h"

#include <string.h>

static const char *const STATE_NAMES[PWR__COUNT] = {
    [PWR_OS_UP] = "os_up",	     [PWR_OS_HUNG] = "os_hung",	    [PWR_PRE_BOOT] = "pre_boot",
    [PWR_OS_SUSPEND] = "os_suspend", [PWR_COLD_BOOT] = "cold_boot", [PWR_SOFT_OFF] = "soft_off",
    [PWR_MECH_OFF] = "mech_off",
};

static const char *const CAUSE_NAMES[PC__COUNT] = {
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

enum { NO = -1 };

/* NEXT[state][cause]: the next state, or NO when the cause cannot happen in that state. */
static const signed char NEXT[PWR__COUNT][PC__COUNT] = {
    [PWR_OS_UP] = {NO, PWR_OS_HUNG, PWR_PRE_BOOT, PWR_SOFT_OFF, NO, PWR_PRE_BOOT, PWR_OS_SUSPEND,
		   NO, PWR_MECH_OFF, NO, PWR_COLD_BOOT, PWR_COLD_BOOT},
    [PWR_OS_HUNG] = {NO, NO, PWR_PRE_BOOT, PWR_SOFT_OFF, NO, PWR_PRE_BOOT, NO, NO, PWR_MECH_OFF, NO,
		     PWR_COLD_BOOT, PWR_COLD_BOOT},
    [PWR_PRE_BOOT] = {PWR_OS_UP, NO, PWR_PRE_BOOT, PWR_SOFT_OFF, NO, PWR_PRE_BOOT, NO, NO,
		      PWR_MECH_OFF, NO, PWR_COLD_BOOT, PWR_COLD_BOOT},
    [PWR_OS_SUSPEND] = {NO, NO, PWR_PRE_BOOT, PWR_SOFT_OFF, NO, PWR_PRE_BOOT, NO, PWR_OS_UP,
			PWR_MECH_OFF, NO, PWR_COLD_BOOT, PWR_COLD_BOOT},
    [PWR_COLD_BOOT] = {PWR_OS_UP, NO, PWR_COLD_BOOT, PWR_SOFT_OFF, NO, PWR_COLD_BOOT, NO, NO,
		       PWR_MECH_OFF, NO, PWR_COLD_BOOT, PWR_COLD_BOOT},
    [PWR_SOFT_OFF] = {NO, NO, NO, NO, PWR_PRE_BOOT, PWR_PRE_BOOT, NO, NO, PWR_MECH_OFF, NO,
		      PWR_SOFT_OFF, PWR_SOFT_OFF},
    [PWR_MECH_OFF] = {NO, NO, NO, NO, NO, NO, NO, NO, NO, PWR_SOFT_OFF, NO, NO},
};

int
power_step(enum power_state s, enum power_cause c, enum power_state *next)
{
	if ((unsigned)s >= PWR__COUNT || (unsigned)c >= PC__COUNT || NEXT[s][c] == NO)
		return -1;
	*next = (enum power_state)NEXT[s][c];
	return 0;
}

struct power_caps
power_caps(enum power_state s)
{
	struct power_caps c = {
	    .nic_alive = s != PWR_MECH_OFF, .ike = s == PWR_OS_UP, .context = s != PWR_COLD_BOOT};
	return c;
}

const char *
power_state_name(enum power_state s)
{
	return (unsigned)s < PWR__COUNT ? STATE_NAMES[s] : "?";
}

const char *
power_cause_name(enum power_cause c)
{
	return (unsigned)c < PC__COUNT ? CAUSE_NAMES[c] : "?";
}

int
power_state_parse(const char *name, enum power_state *out)
{
	for (int i = 0; i < PWR__COUNT; i++)
		if (strcmp(STATE_NAMES[i], name) == 0) {
			*out = (enum power_state)i;
			return 0;
		}
	return -1;
}

int
power_cause_parse(const char *name, enum power_cause *out)
{
	for (int i = 0; i < PC__COUNT; i++)
		if (strcmp(CAUSE_NAMES[i], name) == 0) {
			*out = (enum power_cause)i;
			return 0;
		}
	return -1;
}

/*
 * System power states of a client (or server) and their legal transitions:
 * the patent's five states (Fig. 6, "OS up", "OS hung", "Pre-boot",
 * "OS suspend", "Cold boot") plus SOFT_OFF (ACPI S5 on aux power: NIC
 * alive, context kept) and MECH_OFF (G3: no power, NIC dead, NVRAM kept).
 * Pure data and functions: no I/O, no clock, no allocation.
 */
#ifndef RMCPSEC_FSM_POWER_H
#define RMCPSEC_FSM_POWER_H

#include <stdbool.h>

enum power_state {
	PWR_OS_UP = 0,
	PWR_OS_HUNG,
	PWR_PRE_BOOT,
	PWR_OS_SUSPEND,
	PWR_COLD_BOOT,
	PWR_SOFT_OFF,
	PWR_MECH_OFF,
	PWR__COUNT
};

enum power_cause {
	PC_BOOT_COMPLETE = 0, /* firmware handed over to a running OS */
	PC_OS_HANG,
	PC_RESET,	/* watchdog expiry or ASF Reset command */
	PC_POWER_DOWN,	/* ASF unconditional power-down */
	PC_POWER_UP,	/* ASF power-up, or the power button */
	PC_POWER_CYCLE, /* ASF power cycle reset */
	PC_SUSPEND,
	PC_WAKE,
	PC_POWER_LOSS, /* mains and aux power gone */
	PC_POWER_RESTORE,
	PC_NVRAM_CLEAR,	  /* security context erased */
	PC_FRESH_INSTALL, /* a new machine, no OS, no context */
	PC__COUNT
};

/* What exists in a state (patent, Fig. 6 discussion of each state). */
struct power_caps {
	bool ike;	/* the host OS runs IKE */
	bool nic_alive; /* the NIC has power and processes packets */
	bool context;	/* a security context can be present in NVRAM */
};

/*
 * The one gate for transitions: writes the next state and returns 0, or
 * returns -1 and leaves *next untouched when cause is illegal in s.
 */
int power_step(enum power_state s, enum power_cause c, enum power_state *next);
struct power_caps power_caps(enum power_state s);
/* Added: power_step without the result, and "the host CPU runs" (not off). */
bool power_legal(enum power_state s, enum power_cause c);
bool power_is_powered(enum power_state s);

const char *power_state_name(enum power_state s); /* "os_up", "os_hung", ... */
const char *power_cause_name(enum power_cause c); /* "boot_complete", ... */
/* Parses the names above; returns 0 or -1. */
int power_state_parse(const char *name, enum power_state *out);
int power_cause_parse(const char *name, enum power_cause *out);

#endif

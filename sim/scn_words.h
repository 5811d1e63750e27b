/*
 * Words of the scenario language that more than one part of it uses: a
 * node's role and how a message travels. The pure fault engine takes them
 * too, so this header stays as light as sim/frame_class.h.
 */
#ifndef RMCPSEC_SIM_SCN_WORDS_H
#define RMCPSEC_SIM_SCN_WORDS_H

#include <stdbool.h>
#include <stdint.h>

enum scn_role { SCN_SERVER, SCN_CLIENT };

enum scn_via {
	SCN_VIA_DEFAULT = 0, /* secure when the scenario has a security section */
	SCN_VIA_SECURE,
	SCN_VIA_CLEAR,
};

#endif

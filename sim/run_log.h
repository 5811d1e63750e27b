/*
 * What a run records besides its frames: the notes its nodes and faults
 * report (results.json's events, in the run's time) and the key log, every
 * SA and IKE SA the nodes exported, from which the key files beside the
 * trace are written and with which the observer opens protected traffic.
 */
#ifndef RMCPSEC_SIM_RUN_LOG_H
#define RMCPSEC_SIM_RUN_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "nodes/node.h"

struct run_note {
	uint64_t t;
	size_t node;
	char text[NODE_NOTE_LEN];
};

/* A command a node carried out, and when. */
struct run_executed {
	uint64_t t;
	size_t node;
	uint8_t type; /* ASF type */
};

/* One SA of the run, as the client's NIC holds it. */
struct run_sa {
	struct nvram_sa sa;
	size_t client; /* node index */
	unsigned ord;  /* the client's Nth SA of the run */
};

struct run_log {
	struct run_note *notes;
	size_t nnotes, capnotes;
	struct run_sa *sas;
	size_t nsas, capsas;
	char (*ike_lines)[NODE_IKE_KEY_LEN]; /* ikev2_decryption_table lines */
	size_t nike, capike;
	struct run_executed *executed;
	size_t nexecuted, capexecuted;
};

/* Appends a note at time t (a long note is cut); 0 or RMC_ENOMEM. */
int run_log_note(struct run_log *l, uint64_t t, size_t node, const char *text);
/*
 * Appends an SA of client `client` unless it is known already (both ends
 * export the same SA): *added tells, *ord is its number among the client's
 * SAs. 0 or RMC_ENOMEM.
 */
int run_log_sa(struct run_log *l, const struct nvram_sa *sa, size_t client, bool *added,
	       unsigned *ord);
/* Node `node` carried out ASF command `type` at t; 0 or RMC_ENOMEM. */
int run_log_executed(struct run_log *l, uint64_t t, size_t node, uint8_t type);
/* Appends an ikev2_decryption_table line; 0 or RMC_ENOMEM. */
int run_log_ike(struct run_log *l, const char *line);
/* Frees everything, keys wiped. */
void run_log_fini(struct run_log *l);

#endif

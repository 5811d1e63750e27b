/*
 * What every emulated machine looks like to whoever drives it (the
 * virtual-time simulator today; the TAP backend, ns-3 and the explorer
 * later). A node never reads a clock, never owns a socket and never
 * allocates per packet: the driver hands it (now, frame), (now, timer) or
 * (now, control) and it answers by filling a caller-provided node_out
 * with frames to transmit and timers to (re)arm.
 */
#ifndef RMCPSEC_NODES_NODE_H
#define RMCPSEC_NODES_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nodes/nvram.h"

enum {
	NODE_FRAME_MAX = 1600, /* one Ethernet frame without FCS, with room for VLAN */
	NODE_OUT_FRAMES = 32,
	NODE_OUT_TIMERS = 8,
	NODE_OUT_NOTES = 8,
	NODE_TIMER_IDS = 16, /* timer ids a node may use: 0 .. NODE_TIMER_IDS-1 */
	NODE_NOTE_LEN = 96,
	NODE_OUT_KEYS = 2,
	NODE_OUT_EXECUTED = 4,
	NODE_IKE_KEY_LEN = 512,
};

/*
 * A key a node negotiated, exported the way an endpoint writes a key log
 * (SSLKEYLOGFILE, strongSwan's Wireshark export): the driver writes it
 * beside the trace so Wireshark, the verifier and the observer can open
 * the traffic. The SA as the NIC of nic_ip stores it.
 */
/* Points of the refresh commit a driver may want to act at (fault injection). */
enum node_commit_step {
	NODE_STEP_READY = 1u << 0,   /* the NIC sent SA_READY */
	NODE_STEP_ACK = 1u << 1,     /* the NIC got SA_ACK and committed */
	NODE_STEP_CONFIRM = 1u << 2, /* the NIC sent SA_CONFIRM */
};

struct node_key {
	struct nvram_sa sa;
	uint32_t nic_ip;
};

enum { NODE_TIMER_NEVER = UINT64_MAX };

struct node_timer_req {
	uint32_t id;
	uint64_t at; /* absolute virtual time; NODE_TIMER_NEVER cancels */
};

/*
 * Output of one step. Frame bytes live in buf; notes are short structured
 * facts a node reports about itself ("executed reset", "power os_up ->
 * pre_boot") which the driver timestamps into the run's event log.
 */
struct node_out {
	uint8_t buf[NODE_OUT_FRAMES * NODE_FRAME_MAX];
	size_t used;
	uint16_t frame_off[NODE_OUT_FRAMES];
	uint16_t frame_len[NODE_OUT_FRAMES];
	size_t nframes;
	struct node_timer_req timers[NODE_OUT_TIMERS];
	size_t ntimers;
	char notes[NODE_OUT_NOTES][NODE_NOTE_LEN];
	size_t nnotes;
	struct node_key keys[NODE_OUT_KEYS];
	size_t nkeys;
	char ike_keys[NODE_OUT_KEYS][NODE_IKE_KEY_LEN]; /* ikev2_decryption_table lines */
	size_t nike_keys;
	uint8_t executed[NODE_OUT_EXECUTED]; /* ASF commands this step carried out, in order */
	size_t nexecuted;
	uint8_t
	    commit_steps; /* enum node_commit_step bits reached in this step (NIC; server: ACK) */
	size_t dropped;	  /* outputs that did not fit: a bug, reported by the driver */
};

static inline void
node_out_reset(struct node_out *o)
{
	o->used = 0;
	o->nframes = 0;
	o->ntimers = 0;
	o->nnotes = 0;
	if (o->nkeys)
		explicit_bzero(o->keys, sizeof(o->keys));
	o->nkeys = 0;
	o->nike_keys = 0;
	o->nexecuted = 0;
	o->commit_steps = 0;
	o->dropped = 0;
}

/* Reserves room for one frame; the caller writes up to NODE_FRAME_MAX bytes then commits. */
uint8_t *node_out_frame_begin(struct node_out *o);
void node_out_frame_commit(struct node_out *o, size_t len);
void node_out_timer(struct node_out *o, uint32_t id, uint64_t at);
void node_out_key(struct node_out *o, const struct nvram_sa *sa, uint32_t nic_ip);
void node_out_ike_key(struct node_out *o, const char *line);
/* The node carried out ASF command `type` (a reset, a power change): the driver logs when. */
void node_out_executed(struct node_out *o, uint8_t type);
void node_out_note(struct node_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

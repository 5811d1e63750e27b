/*
 * What one frame on the LAN was classified as. The harness decodes every
 * frame on its own (sim/observe.c); verdicts and fault rules (sim/fault.h)
 * read the result, and a `msg:` word (sim/scn_words.h) selects frames by
 * it (struct msg_sel). Plain data that needs nothing beyond <stdint.h> and <stdbool.h>, so
 * the pure fault engine reads a classification without the observation
 * log's keys (sim/observe.h, which holds SAs).
 */
#ifndef RMCPSEC_SIM_FRAME_CLASS_H
#define RMCPSEC_SIM_FRAME_CLASS_H

#include <stdbool.h>
#include <stdint.h>

/* A message kind as the harness classifies frames it sees on the LAN. */
enum obs_kind {
	OBS_ANY = 0,
	OBS_ARP_REQUEST,
	OBS_ARP_REPLY,
	OBS_RMCP_ACK,
	OBS_ASF,
	OBS_OTHER,
	OBS_MALFORMED,
	OBS_IKE,    /* IKEv2 on UDP 500/4500; asf_type holds the exchange type (RFC 7296 §3.1) */
	OBS_COMMIT, /* SA_READY / SA_ACK / SA_CONFIRM, ASF IANA 32473; asf_type: the type */
	OBS__COUNT,
};

/* How the packet was protected. */
enum obs_prot {
	OBS_CLEAR = 0,
	OBS_ESP,
	OBS_AH,
	OBS_AH_ESP,
};

/*
 * What the SA that opened a frame was to its client when the frame was
 * seen, as the harness reads it from the wire alone (sim/observe.c): the
 * active one, the one being committed, the one it replaced, or older.
 */
enum obs_sa_role {
	OBS_ROLE_NONE = 0, /* not opened */
	OBS_ROLE_ACTIVE,
	OBS_ROLE_PENDING,
	OBS_ROLE_PREVIOUS,
	OBS_ROLE_OLDER,
};

struct obs {
	uint64_t t;
	uint32_t frame_no; /* 1-based, as Wireshark numbers frames */
	int16_t from;	   /* node index by source MAC, -1 unknown */
	int16_t to;	   /* node index by destination MAC, -1 broadcast/unknown */
	uint8_t kind;	   /* enum obs_kind */
	uint8_t asf_type;  /* OBS_ASF: ASF type; OBS_COMMIT: enum commit_type */
	uint16_t sport, dport;
	uint8_t rmcp_seq;
	uint8_t tag;
	uint8_t prot; /* enum obs_prot: how the packet was protected */
	bool opened;  /* protected, and the harness removed the protection */
	uint32_t spi; /* outermost IPsec header's SPI and sequence number */
	uint32_t seq;
	uint16_t sa;	      /* opened with the client's Nth SA of the run (0: not opened) */
	uint8_t sa_role;      /* enum obs_sa_role of that SA when the frame was seen */
	bool injected;	      /* the harness's own frame (sim/adversary), not a node's */
	uint32_t commit_txid; /* OBS_COMMIT: the transaction id and the NVRAM generation */
	uint32_t commit_gen;
	uint8_t ike_exch;  /* OBS_IKE: exchange type (RFC 7296 §3.1) */
	bool ike_response; /* OBS_IKE: the Response flag */
	uint32_t ike_msgid;
};

/*
 * A class of frames, as a `msg:` word names it (the words: sim/scn_words.h).
 * Unset fields match everything.
 */
struct msg_sel {
	uint32_t kinds; /* bits (1 << enum obs_kind); 0: any kind */
	int type;	/* ASF type, commit type or IKE exchange; -1: any */
};

bool msg_sel_match(const struct msg_sel *s, const struct obs *o);

#endif

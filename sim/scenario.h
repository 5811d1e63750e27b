/*
 * Scenario files (YAML, read with libyaml): topology, a timeline of actions
 * and expectations. The loader validates everything before a run starts,
 * so a bad file never produces partial results; every error names the
 * file, the line and the field. The format is documented in
 * docs/users/scenarios.md.
 */
#ifndef RMCPSEC_SIM_SCENARIO_H
#define RMCPSEC_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsm/commit.h"
#include "fsm/power.h"
#include "sim/frame_class.h"
#include "sim/lan.h"
#include "sim/req.h"
#include "sim/scn_words.h"

enum { SCN_NAME = 32, SCN_ERR = 512 };

struct scn_node {
	char name[SCN_NAME];
	enum scn_role role;
	uint8_t mac[6];
	uint32_t ip;
	enum power_state power; /* clients */
	uint64_t boot_ns;	/* clients */
	uint64_t retx_ns;	/* servers: wait this long for an answer before resending */
	uint8_t retries;	/* servers: resends before giving up */
	int ha;			/* servers: 0 alone, 1 primary, 2 secondary (enum server_role) */
	uint64_t heartbeat_ns;	/* primary: heartbeat interval */
	uint64_t takeover_ns;	/* secondary: silence before it takes over */
	bool no_commit; /* clients: `commit: none`, a plain IPsec host (no SA_READY/CONFIRM) */
	int line;
};

enum scn_verb {
	SCN_DO_DISCOVER, /* server: Presence Ping to every client in its inventory */
	SCN_DO_ASF,	 /* server: one ASF request or command to one client */
	SCN_DO_POWER,	 /* client: a power event from outside the network */
};

enum { SCN_CUT_NONE = -1, SCN_CUT_RANDOM = -2 };

struct scn_action {
	uint64_t at;
	enum scn_verb verb;
	int server; /* index into nodes, or -1; for power: the server it happens to */
	int client;
	uint8_t asf_type;
	enum scn_via via;
	enum power_cause cause;
	long nvram_cut; /* power_loss: byte of the next NVRAM write, or SCN_CUT_* */
	int line;
};

/*
 * The adversary (docs/users/scenarios.md, "The adversary"): the harness
 * sends a frame the reference nodes never would, with the keys the run
 * knows, at a time or when a commit message of the client is seen on the
 * wire. Which SA it is sealed under, with which sequence number, and which
 * field is damaged after sealing, are the scenario's to say.
 */
enum scn_inj_sa {
	SCN_INJ_SA_ACTIVE = 0, /* the client's SAs as the wire shows them (sim/observe.h) */
	SCN_INJ_SA_PENDING,
	SCN_INJ_SA_PREVIOUS,
	SCN_INJ_SA_NTH, /* the client's Nth SA of the run */
};

enum scn_inj_seq {
	SCN_INJ_SEQ_NEXT = 0, /* one past the highest the wire showed under that SA */
	SCN_INJ_SEQ_REPLAY,   /* the highest the wire showed: a replay */
	SCN_INJ_SEQ_AHEAD,    /* the highest plus N */
	SCN_INJ_SEQ_VALUE,    /* exactly N */
};

/* A field of the IPsec packet damaged after sealing (one bit flipped). */
enum scn_damage {
	SCN_DAMAGE_NONE = 0,
	SCN_DAMAGE_SPI,
	SCN_DAMAGE_SEQ,
	SCN_DAMAGE_IV,
	SCN_DAMAGE_CIPHERTEXT,
	SCN_DAMAGE_PADDING,
	SCN_DAMAGE_NEXT_HEADER,
	SCN_DAMAGE_ICV,
	SCN_DAMAGE__COUNT,
};

/* A commit message of the client seen on the wire (an injection's moment). */
enum scn_step {
	SCN_STEP_NONE = 0,
	SCN_STEP_READY,	  /* the client's SA_READY */
	SCN_STEP_ACK,	  /* the server's SA_ACK to the client */
	SCN_STEP_CONFIRM, /* the client's SA_CONFIRM */
};

struct scn_inject {
	char name[SCN_NAME];
	int from;	  /* the node whose addresses it carries (a server) */
	int to;		  /* the client it is sent to */
	uint8_t asf_type; /* an ASF request or command, or with commit: a commit type */
	bool commit;	  /* a commit message (IANA 32473), its body from the client's SA_READY */
	int64_t txid_off; /* commit: added to the transaction id of that SA_READY */
	uint8_t rmcp_seq, tag;
	bool clear;	    /* in the clear, to UDP `port`; else under an SA of the client */
	uint16_t port;	    /* clear: destination port; sealed: the port inside (664) */
	enum scn_inj_sa sa; /* sealed: which SA */
	uint16_t sa_nth;    /* SCN_INJ_SA_NTH */
	bool spi_set;	    /* the SPI replaced by spi after sealing (a made-up SPI) */
	uint32_t spi;
	enum scn_inj_seq seq;
	uint64_t seq_arg; /* AHEAD: N; VALUE: the number */
	enum scn_damage damage;
	uint64_t at;	    /* UINT64_MAX: at a commit step */
	enum scn_step step; /* the moment, when not at a time */
	unsigned nth;	    /* the nth such message of the client (from 1) */
	int line;
};

/*
 * A lying IKE peer (docs/users/scenarios.md, "The adversary"): the harness
 * runs an IKEv2 endpoint of its own that breaks one rule, either starting an
 * exchange with the client's host as if it were the server, or answering the
 * server's exchanges with the client as if it were the client's host.
 */
enum scn_ike_role {
	SCN_IKE_INITIATOR = 0, /* poses as the server, towards the client's host */
	SCN_IKE_RESPONDER,     /* poses as the client's host, towards the server */
};

enum scn_ike_lie {
	SCN_LIE_PSK = 0,  /* another pre-shared key */
	SCN_LIE_AUTH,	  /* the right key, the AUTH value damaged */
	SCN_LIE_ID,	  /* another identity than the one configured */
	SCN_LIE_PROPOSAL, /* a CHILD_SA suite outside the peer's policy */
	SCN_LIE_DH_GROUP, /* a Diffie-Hellman group outside the peer's policy */
	SCN_LIE_KE_GROUP, /* a KE payload of another group than proposed */
	SCN_LIE_KE_ZERO,  /* an X25519 value whose shared secret is all-zero */
	SCN_LIE_MSGID,	  /* honest, then a request outside the message-ID window */
	SCN_LIE__COUNT,
};

struct scn_ike_peer {
	char name[SCN_NAME];
	enum scn_ike_role role;
	int server; /* the server it poses as, or whose exchanges it answers */
	int client; /* the client whose host it talks to, or poses as */
	enum scn_ike_lie lie;
	uint64_t at;	/* initiator: when it starts; responder: from when it answers */
	uint64_t until; /* responder: until when (UINT64_MAX: the end) */
	int line;
};

/*
 * The secured management of docs/internals/ipsec.md: the suite every client's SA uses
 * (keys derived from the run's seed), and the NIC's configuration bits.
 */
struct scn_security {
	bool enabled;
	uint8_t suite; /* enum mgmt_suite */
	bool esn;
	uint32_t replay_window;
	uint64_t reservation; /* NVRAM checkpoint reservation R */
	bool clear_allowed;
	uint16_t clear_port;
	uint16_t clear_msgs; /* enum asf_clear_msg bits */
	/* The mechanism (docs/internals/mechanism.md): SAs from IKE, refreshed and committed. */
	bool ike;		     /* key_exchange: ike (else provisioned at time 0) */
	enum commit_profile profile; /* strict or robust (default) */
	struct commit_timing timing; /* refresh, commit rto, READY wait, READY sends */
	uint64_t lifetime;	     /* SA lifetime; UINT64_MAX: infinite (the patent's) */
	uint64_t max_downtime;	     /* the longest a client may be unable to run IKE */
	uint64_t poll_ns;	     /* server's System State poll per client; 0: none */
};

struct scn_pattern {
	int from; /* node index, or -1 for any */
	int to;
	struct msg_sel msg; /* `msg:` (sim/scn_words.h) */
	int port;	    /* -1: any */
	enum scn_via via;   /* DEFAULT: either */
	unsigned sa;	    /* 0: any; N: opened with the client's Nth SA of the run */
	uint64_t after;	    /* only frames at or after this time */
	uint64_t before;    /* only frames before this time (UINT64_MAX: no bound) */
	int line;
};

enum scn_expect_kind {
	SCN_EXPECT_POWER,     /* a client's power state at the end */
	SCN_EXPECT_EXECUTED,  /* a client executed this command at least once */
	SCN_EXPECT_SEEN,      /* these messages appeared on the wire, in this order */
	SCN_EXPECT_NOT_SEEN,  /* no such message appeared */
	SCN_EXPECT_IN_SYNC,   /* the client's NIC and the serving server hold the same active SA */
	SCN_EXPECT_SAS,	      /* how many SAs the client's NIC committed in the run */
	SCN_EXPECT_NO_ANSWER, /* the client answered an injection with nothing at all */
	SCN_EXPECT_ANSWERED,  /* the client answered an injection, under the SA role said */
	SCN_EXPECT_REFUSED,   /* the peer refused a lying IKE peer with this notification */
	SCN_EXPECT_REFRESHED, /* the server refreshed the client's SA on schedule (the wire) */
};

/* Under what an answer travels (answered_under:). */
enum scn_under {
	SCN_UNDER_ACTIVE = 0,
	SCN_UNDER_PREVIOUS,
	SCN_UNDER_CLEAR,
};

enum { SCN_MAX_PATTERNS = 32, SCN_MAX_REQ_TAGS = 8, SCN_NA_REASON = 120 };

struct scn_expect {
	enum scn_expect_kind kind;
	int node;
	enum power_state power;
	uint8_t asf_type;
	bool in_sync;
	bool exact; /* executed: exactly count times */
	uint64_t count;
	uint64_t after, before; /* executed, refreshed: only within [after, before) */
	uint64_t slack;		/* refreshed: how late a refresh may start past `refresh` */
	int inject;		/* no_answer, answered_under: index into injects, or -1 */
	int peer;		/* no_answer, refused_with: index into ike_peers, or -1 */
	uint16_t notify;	/* refused_with: the IKE notification (RFC 7296 §3.10.1) */
	enum scn_under under;
	struct scn_pattern pat[SCN_MAX_PATTERNS];
	size_t npat;
	uint8_t req[SCN_MAX_REQ_TAGS]; /* `req:` tags, indices into req_table */
	uint8_t nreq;
	int line;
};

/* A requirement the scenario declares not applicable (`not_applicable:`), and why. */
struct scn_na {
	int line; /* 0: not declared */
	char reason[SCN_NA_REASON];
};
struct fault_rule; /* sim/fault.h */

struct scenario {
	char path[512];
	char name[64];
	uint64_t seed;
	bool has_seed;
	uint64_t duration;
	struct lan_port_cfg link;
	struct scn_security security;
	struct scn_node *nodes;
	size_t nnodes;
	struct scn_action *actions;
	size_t nactions;
	struct scn_expect *expects;
	size_t nexpects;
	struct scn_inject *injects; /* the adversary's frames (timeline `do: inject`) */
	size_t ninjects;
	struct scn_ike_peer *ike_peers; /* the adversary's IKE peers (`do: ike_peer`) */
	size_t nike_peers;
	struct scn_na na[REQ_MAX]; /* indexed like req_table */
	struct fault_rule *faults; /* sim/scenario_fault.c, docs/users/faults.md */
	size_t nfaults;
};

/* Returns 0, or RMC_EINVAL / RMC_EIO with "file:line: field 'x': why" in err. */
int scenario_load(const char *path, struct scenario *sc, char *err, size_t errlen);
void scenario_free(struct scenario *sc);

int scenario_node(const struct scenario *sc, const char *name);
/* The `msg:` word of a pattern: an ASF type, an IKE exchange, a commit step, or a kind. */
const char *scn_msg_name(const struct scn_pattern *p);
/* Parses "1.5s", "200ms", "50us", "100ns", "2m"; returns 0 or -1. */
int scn_parse_duration(const char *s, uint64_t *ns);

#endif

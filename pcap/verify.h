/*
 * The independent trace verifier (docs/users/verify.md): re-checks a trace with no
 * help from the node code, only the frames, the exported keys and a policy.
 * Every finding names its frame number (from 1, as in Wireshark) and a
 * stable id; docs/users/verify.md lists the ids and the checks behind them.
 *
 * Use: verify_policy_default (then adjust, or fill it from a scenario or
 * a policy file), verifier_new, verify_frame for each frame in order,
 * verifier_free. verify_trace does all of it for a savefile.
 */
#ifndef RMCPSEC_PCAP_VERIFY_H
#define RMCPSEC_PCAP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pcap/keys.h"

/* The one list of finding ids: the enum and the name table come from it. */
#define VERIFY_IDS(X)                                                                              \
	X(V_MALFORMED, "V-MALFORMED")                                                              \
	X(V_DUP, "V-DUP")                                                                          \
	X(V_CLEAR_664, "V-CLEAR-664")                                                              \
	X(V_ESP_UNKNOWN_SPI, "V-ESP-UNKNOWN-SPI")                                                  \
	X(V_AH_UNKNOWN_SPI, "V-AH-UNKNOWN-SPI")                                                    \
	X(V_ICV, "V-ICV")                                                                          \
	X(V_SEQ_REUSE, "V-SEQ-REUSE")                                                              \
	X(V_NONCE_REUSE, "V-NONCE-REUSE")                                                          \
	X(V_CLEAR_PORT, "V-CLEAR-PORT")                                                            \
	X(V_CLEAR_STATE, "V-CLEAR-STATE")                                                          \
	X(V_CLEAR_MSG, "V-CLEAR-MSG")                                                              \
	X(V_COMMIT_ORDER, "V-COMMIT-ORDER")                                                        \
	X(V_COMMIT_SA, "V-COMMIT-SA")

#define VERIFY_ID_ENUM_(name, text) name,
enum verify_id { VERIFY_IDS(VERIFY_ID_ENUM_) V_COUNT };
#undef VERIFY_ID_ENUM_

const char *verify_id_name(enum verify_id id);
/* The id for a name such as "V-DUP", or -1. */
int verify_id_parse(const char *name);

/* [from_ns, to_ns) on the trace's clock. */
struct verify_window {
	uint64_t from_ns, to_ns;
};

/*
 * What the trace may contain. Owned arrays: verify_policy_free releases
 * them. A scenario fills one of these (the hook is this struct and the
 * setters below; pcap/ does not read scenarios itself).
 */
struct verify_policy {
	bool clear_allowed;  /* any RMCP in the clear at all (Fig. 6 rows 6, 8, 9) */
	uint16_t clear_port; /* the one clear RMCP port, 623 unless configured */
	uint8_t
	    clear_types[32]; /* bitmap over ASF message types (IANA 4542) allowed in the clear */
	struct verify_window *clear_windows; /* clear RMCP only inside these; none = any time */
	size_t nclear_windows;
	uint64_t *allowed_dups; /* frame numbers of copies the fault injector made */
	size_t nallowed_dups;
	/*
	 * Frame numbers the harness forged itself (its adversary's stimuli, not
	 * any node's traffic): skipped, and counted, so they neither raise
	 * findings nor teach the verifier sequence numbers no node used.
	 */
	uint64_t *forged;
	size_t nforged;
	/* A commit message travels under an SA it names (docs/internals/mechanism.md). */
	bool commit_under_new_sa;
};

/* Clear RMCP on 623 with every standard ASF type, any time; no duplicates; commit under new SA. */
void verify_policy_default(struct verify_policy *p);
void verify_policy_free(struct verify_policy *p);
void verify_policy_set_type(struct verify_policy *p, uint8_t type, bool allowed);
bool verify_policy_type_allowed(const struct verify_policy *p, uint8_t type);
int verify_policy_add_window(struct verify_policy *p, uint64_t from_ns, uint64_t to_ns);
int verify_policy_add_dup(struct verify_policy *p, uint64_t frame);
int verify_policy_add_forged(struct verify_policy *p, uint64_t frame);
/*
 * A tiny key=value file (docs/users/verify.md): clear, clear_port, clear_types,
 * clear_window, allow_dup, forged, commit_under_new_sa. Applied over what p holds.
 */
int verify_policy_load(struct verify_policy *p, const char *path, char *err, size_t errlen);

enum { VERIFY_TEXT_MAX = 200 };

struct verify_finding {
	enum verify_id id;
	uint64_t frame;
	uint64_t t_ns;
	uint64_t related; /* an earlier frame it refers to, or 0 */
	char text[VERIFY_TEXT_MAX];
};

typedef void (*verify_emit_fn)(void *arg, const struct verify_finding *f);

struct verify_stats {
	uint64_t frames;
	uint64_t esp, ah;     /* frames carrying ESP / AH */
	uint64_t opened;      /* frames whose every IPsec layer verified */
	uint64_t clear_rmcp;  /* RMCP in the clear */
	uint64_t commit;      /* commit messages seen under IPsec */
	uint64_t allowed_dup; /* duplicates the policy allowed */
	uint64_t forged;      /* frames the policy names as the harness's own: not judged */
	uint64_t findings;
	uint64_t by_id[V_COUNT];
};

struct verifier;

/* The policy is copied; keys must outlive the verifier (its SAs are used to open packets). */
struct verifier *verifier_new(const struct verify_policy *p, struct keyring *keys,
			      verify_emit_fn emit, void *arg);
/* caplen bytes of a frame whose wire length was len (len > caplen: cut by the capture). */
void verify_frame(struct verifier *v, uint64_t no, uint64_t t_ns, const uint8_t *frame,
		  size_t caplen, size_t len);
const struct verify_stats *verifier_stats(const struct verifier *v);
void verifier_free(struct verifier *v);

/*
 * A whole savefile. 0 when it was read to the end (look at st->findings);
 * RMC_EIO with err when it could not be opened or a record is truncated or
 * corrupt (the frames before it were verified and their findings emitted);
 * RMC_ENOMEM.
 */
int verify_trace(const char *path, const struct verify_policy *p, struct keyring *keys,
		 verify_emit_fn emit, void *arg, struct verify_stats *st, char *err, size_t errlen);

#endif

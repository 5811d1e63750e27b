/*
 * The client NIC's emulated EEPROM (docs/internals/nvram.md): a fixed 768-byte image
 * holding the NIC's configuration bits, two SA slots (active and pending),
 * per-SA outbound sequence checkpoints and per-SA receive checkpoints.
 * Format and arguments are in docs/internals/nvram.md; the short version:
 *
 *   - every record ends with a CRC-32 and lives in one of two copies;
 *     a write always goes to the copy that is NOT the current one, so a
 *     write cut at any byte leaves the current copy intact;
 *   - a staged SA goes to the slot that is not active; commit flips a
 *     selector record (itself two CRC'd copies), which is the one byte
 *     range whose completion makes the new SA active;
 *   - the NIC hands out outbound sequence numbers only below a persisted
 *     "next safe" value, and persists next + R before it crosses it, so
 *     after any reset it resumes at or above every number it ever sent;
 *   - before it acts on a secured command the NIC persists its inbound
 *     replay floor, so after any reset it refuses every number at or below
 *     it: no command it carried out is carried out again.
 *
 * Pure: no clock, no allocation; the only I/O is nvram_file_load/save.
 * A power cut is injected with nvram_cut_at*; the write stops mid-way,
 * the NVRAM reports power lost until nvram_restore() re-reads the image.
 */
#ifndef RMCPSEC_NODES_NVRAM_H
#define RMCPSEC_NODES_NVRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/rmcp.h"

enum nvram_limits {
	NVRAM_IMAGE_SIZE = 768,
	NVRAM_VERSION = 3,	  /* 1: one key set per SA; 2: no receive checkpoint; refused */
	NVRAM_KEY_MAX = 32,	  /* AES-256 */
	NVRAM_SALT_MAX = 4,	  /* RFC 4106 §4: 4-byte salt */
	NVRAM_INTEG_KEY_MAX = 32, /* HMAC-SHA-256, RFC 4868 §2.1 */
	NVRAM_DEFAULT_BUDGET = 100000,
	NVRAM_DEFAULT_RESERVATION = 1024,
	NVRAM_ERR_LEN = 160,
};

/* The configuration bits (patent Fig. 6 rows 6, 8, 9). */
struct nvram_policy {
	bool clear_allowed;  /* false: secure-only, nothing answered in the clear */
	uint16_t clear_port; /* RMCP's 623 by default */
	uint16_t clear_msgs; /* enum asf_clear_msg bits (proto/rmcp.h, from ASF_TYPES) */
};

/*
 * One stored SA pair. suite is the proto/ suite id, opaque here (0 = none).
 * gen and the slot are assigned by nvram_sa_stage; gen is what the commit
 * handshake reports as "the NIC's NVRAM generation" (docs/internals/mechanism.md).
 *
 * Each direction has its own key set (RFC 7296 §2.17 derives separate
 * keys per direction): with one AES-GCM key and salt both ends would
 * start at sequence 1 and repeat each other's nonces (RFC 4106 §3).
 *   key, salt, integ_key:          OUTBOUND, NIC -> server, with spi_out;
 *   key_in, salt_in, integ_key_in: INBOUND, server -> NIC, with spi_in.
 * key_len, salt_len and integ_key_len apply to both directions. Staging
 * an SA that uses one key (cipher or integrity) in both directions is
 * refused.
 */
struct nvram_sa {
	uint32_t spi_in;
	uint32_t spi_out;
	uint8_t suite;
	bool esn; /* 64-bit extended sequence numbers, RFC 4303 §2.2.1 */
	uint8_t key_len, salt_len, integ_key_len;
	uint8_t key[NVRAM_KEY_MAX]; /* outbound */
	uint8_t salt[NVRAM_SALT_MAX];
	uint8_t integ_key[NVRAM_INTEG_KEY_MAX];
	uint8_t key_in[NVRAM_KEY_MAX]; /* inbound */
	uint8_t salt_in[NVRAM_SALT_MAX];
	uint8_t integ_key_in[NVRAM_INTEG_KEY_MAX];
	uint8_t peer_ip[4]; /* IPv4, network order */
	uint32_t txid;	    /* commit transaction id this SA belongs to */
	uint32_t gen;	    /* output only */
};

struct nvram_config {
	struct nvram_policy policy; /* written into a fresh image by nvram_init */
	uint64_t seq_reservation;   /* R: sequence numbers covered by one checkpoint */
	uint32_t endurance_budget;  /* write cycles per region before it is worn */
	bool enforce_endurance;	    /* writes to a worn region fail with RMC_EIO */
	bool mutant_in_place;	    /* nodes/mutant.h: stage over the active slot (not atomic) */
};

/* The image's regions; each is written as a whole, and counted as one cycle. */
enum nvram_region {
	NVRAM_R_HEADER = 0,
	NVRAM_R_CONFIG0,
	NVRAM_R_CONFIG1,
	NVRAM_R_SEL0,
	NVRAM_R_SEL1,
	NVRAM_R_CKPT_S0C0, /* checkpoint of slot 0, copy 0 */
	NVRAM_R_CKPT_S0C1,
	NVRAM_R_CKPT_S1C0,
	NVRAM_R_CKPT_S1C1,
	NVRAM_R_RXCK_S0C0, /* receive checkpoint of slot 0, copy 0 */
	NVRAM_R_RXCK_S0C1,
	NVRAM_R_RXCK_S1C0,
	NVRAM_R_RXCK_S1C1,
	NVRAM_R_SLOT0,
	NVRAM_R_SLOT1,
	NVRAM_R__COUNT
};

/* Things a load found wrong but survived: reported, never silently dropped. */
enum nvram_warning {
	NVRAM_W_CONFIG_LOST = 1u << 0, /* no valid config copy: secure-only defaults */
	NVRAM_W_CONFIG_COPY = 1u << 1, /* one config copy bad */
	NVRAM_W_SEL_COPY = 1u << 2,    /* one selector copy bad */
	NVRAM_W_ACTIVE_LOST = 1u << 3, /* selector names a slot that does not decode */
	NVRAM_W_FELL_BACK = 1u << 4,   /* ... and the previous committed SA was used */
	NVRAM_W_SLOT_BAD = 1u << 5,    /* a slot holds neither erased bytes nor a valid SA */
	NVRAM_W_CKPT_BAD = 1u << 6,    /* a checkpoint copy is neither erased nor valid */
	NVRAM_W_TWO_PENDING = 1u << 7, /* both slots claim to be pending: kept the newer */
	NVRAM_W_RXCK_BAD = 1u << 8,    /* a receive checkpoint copy is neither erased nor valid */
};

struct nvram_region_stats {
	uint64_t cycles; /* write operations that touched the region (torn ones too) */
	uint64_t bytes;	 /* bytes actually written */
};

struct nvram_stats {
	struct nvram_region_stats region[NVRAM_R__COUNT];
	uint64_t writes;       /* write operations started */
	uint64_t bytes;	       /* bytes written */
	uint64_t cuts;	       /* injected power losses that fired */
	uint64_t refused_worn; /* writes refused because the region was worn */
	uint64_t stages, commits, discards, checkpoints, rx_checkpoints, clears;
	uint32_t budget;
	uint64_t max_cycles;   /* the most worn region's cycles */
	unsigned worn_regions; /* regions with cycles >= budget */
};

struct nvram_slot {
	bool valid; /* decodes with a good CRC */
	struct nvram_sa sa;
	int ckpt_copy;	   /* copy holding this SA's newest checkpoint, -1: none */
	uint64_t limit;	   /* persisted "next safe" sequence number */
	uint64_t next;	   /* RAM only: next number to hand out */
	int rx_copy;	   /* copy holding this SA's newest receive checkpoint, -1: none */
	uint64_t rx_floor; /* persisted inbound replay floor, 0: none */
};

struct nvram_sel {
	uint32_t sel_gen;
	int active;	      /* slot index, -1: no SA (cold boot) */
	uint32_t active_gen;  /* gen the active slot must hold */
	uint32_t retired_gen; /* slots at or below this gen, other than active, are not pending */
	uint32_t txid;	      /* transaction that made the active SA */
};

struct nvram_cut {
	bool armed;
	bool per_write; /* nvram_cut_at_write: byte counts within one write */
	uint64_t skip;	/* writes still to pass untouched (per_write) */
	uint64_t bytes; /* bytes still allowed before the cut */
};

/*
 * Caller-allocated; everything below the image is the decoded view (RAM),
 * rebuilt from the image by nvram_load / nvram_restore. Holds keys: wipe
 * with nvram_wipe when done.
 */
struct nvram {
	uint8_t img[NVRAM_IMAGE_SIZE];
	struct nvram_config cfg;
	struct nvram_policy policy;
	uint32_t cfg_gen;
	int cfg_copy;
	struct nvram_sel sel;
	int sel_copy;
	struct nvram_slot slot[2];
	int pending;	   /* slot index, -1: none */
	uint32_t gen_seen; /* highest SA generation found anywhere */
	unsigned warnings;
	bool power_lost;
	struct nvram_cut cut;
	struct nvram_stats stats;
	char err[NVRAM_ERR_LEN];
};

/* Defaults: secure-only, clear port 623, no clear messages, R and budget above. */
void nvram_config_default(struct nvram_config *cfg);

/* A factory-fresh image (header, config, no SA); cfg NULL means defaults. */
void nvram_init(struct nvram *nv, const struct nvram_config *cfg);
void nvram_wipe(struct nvram *nv);

/*
 * Replaces the image with len bytes and decodes it. A wrong length, magic,
 * version or header CRC is an error (RMC_ETRUNC / RMC_EINVAL / RMC_EUNSUP,
 * described by nvram_error) and leaves nv unchanged; damaged records are
 * survived and reported in nvram_warnings.
 */
int nvram_load(struct nvram *nv, const uint8_t *img, size_t len);
void nvram_image(const struct nvram *nv, const uint8_t **img, size_t *len);
int nvram_file_load(struct nvram *nv, const char *path);
int nvram_file_save(struct nvram *nv, const char *path); /* nv only records the error */

/* Reboot after a power loss: forget RAM, decode the image as it is. */
int nvram_restore(struct nvram *nv);
bool nvram_power_lost(const struct nvram *nv);

const char *nvram_error(const struct nvram *nv);
unsigned nvram_warnings(const struct nvram *nv);
const char *nvram_warning_name(unsigned bit);
const struct nvram_stats *nvram_stats(const struct nvram *nv);

void nvram_policy_get(const struct nvram *nv, struct nvram_policy *out);
int nvram_policy_set(struct nvram *nv, const struct nvram_policy *p);
/*
 * Whether a clear ASF request of this type (proto/rmcp.h enum asf_type)
 * arriving on this UDP port may be answered: clear allowed, the configured
 * port, and the type's bit set. Types without a bit are never allowed.
 */
bool nvram_clear_request_allowed(const struct nvram_policy *p, uint16_t udp_port, uint8_t asf_type);

/*
 * Writes sa into the slot that is not active, as the pending SA. Staging
 * the same SA again is a no-op (its sequence state is kept); an SA whose
 * outbound SPI a stored SA (active, pending, retired or checkpointed)
 * already used is refused (RMC_EINVAL): it would restart that SPI's
 * sequence numbers. So is one that uses a key in both directions.
 */
int nvram_sa_stage(struct nvram *nv, const struct nvram_sa *sa);
/*
 * The pending SA with this txid becomes active. Repeating the commit of
 * the active SA's transaction is a no-op (a retransmitted CONFIRM).
 */
int nvram_sa_commit(struct nvram *nv, uint32_t txid);
int nvram_sa_discard_pending(struct nvram *nv);
int nvram_sa_active(const struct nvram *nv, struct nvram_sa *out);  /* RMC_ENOENT: none */
int nvram_sa_pending(const struct nvram *nv, struct nvram_sa *out); /* RMC_ENOENT: none */

/*
 * Outbound sequence numbers of the active or pending SA with this
 * outbound SPI. next hands out one number (the first is 1, RFC 4303
 * §3.3.3), persisting a checkpoint of next + R first when needed;
 * reserve makes sure every number below upto may be handed out without a
 * further write. RMC_ESTATE when the counter would cycle (§3.3.3: rekey).
 */
int nvram_seq_next(struct nvram *nv, uint32_t spi_out, uint64_t *seq);
int nvram_seq_reserve(struct nvram *nv, uint32_t spi_out, uint64_t upto);
/* Next number to hand out and the persisted limit, for tests and stats. */
int nvram_seq_state(const struct nvram *nv, uint32_t spi_out, uint64_t *next, uint64_t *limit);

/*
 * The inbound replay floor of the stored SA with this inbound SPI (the
 * active one first, then the pending one, then a retired one still in its
 * slot): every inbound sequence number at or below it was accepted under
 * the SA before it, so a NIC that powers up must refuse them all
 * (replay_init_floor). 0 when none was persisted; RMC_ENOENT when no slot
 * holds the SA.
 */
int nvram_rx_floor(const struct nvram *nv, uint32_t spi_in, uint64_t *floor);
/*
 * Persists floor as that SA's receive checkpoint, unless the stored floor
 * is already at or above it (no write; floor 0 never writes). Returns only
 * once the record is written whole: a caller acts on the packet after
 * RMC_OK, never before. RMC_ENOENT when no slot holds the SA, RMC_EINVAL
 * for a floor outside the SA's sequence space.
 */
int nvram_rx_floor_raise(struct nvram *nv, uint32_t spi_in, uint64_t floor);

/* Erases the security context (cold boot); the configuration bits stay. */
int nvram_clear(struct nvram *nv);

/* Power loss after n more bytes written, counted across writes. */
void nvram_cut_at(struct nvram *nv, size_t n);
/*
 * Power loss at byte n of the k-th write from now (k = 0: the next one);
 * if n >= that write's length it completes and power is lost right after.
 */
void nvram_cut_at_write(struct nvram *nv, unsigned k, size_t n);
void nvram_cut_disarm(struct nvram *nv);

/* CRC-32 of IEEE 802.3 (reflected polynomial 0xEDB88320), as zlib and PNG. */
uint32_t nvram_crc32(const uint8_t *p, size_t n);

#endif

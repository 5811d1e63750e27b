/*
 * The NIC's emulated EEPROM; format, atomicity and checkpoint arguments
 * in docs/internals/nvram.md. Every record is written whole into the copy (or slot)
 * that is not current, and only a record with a good CRC is believed, so
 * a write cut at any byte leaves the last committed state decodable.
 */
#include "nodes/nvram.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/err.h"
#include "proto/rd.h"
#include "proto/rmcp.h"

/* Image layout (docs/internals/nvram.md, "Layout"); all fields big-endian. */
enum nvram_layout {
	HDR_LEN = 16,
	CFG_OFF = 0x010,
	CFG_STRIDE = 16,
	CFG_LEN = 16,
	SEL_OFF = 0x030,
	SEL_STRIDE = 32,
	SEL_LEN = 24,
	CKPT_OFF = 0x070,
	CKPT_STRIDE = 32,
	CKPT_LEN = 24,
	RXCK_OFF = 0x100,
	RXCK_STRIDE = 32,
	RXCK_LEN = 24,
	SLOT_OFF = 0x180,
	SLOT_STRIDE = 192,
	SLOT_LEN = 168,
	SLOT_KEYS_OFF = 28, /* outbound key set, then inbound key set, then CRC */
	REC_MAX = SLOT_LEN,
	CRC_LEN = 4,
	ERASED = 0xFF, /* an erased EEPROM byte */
};

enum nvram_tag {
	TAG_CONFIG = 'C',
	TAG_SEL = 'S',
	TAG_CKPT = 'Q',
	TAG_RXCK = 'R',
	TAG_SLOT = 'A',
	SEL_NONE = 0xFF, /* selector: no active SA */
	CFG_F_CLEAR = 1u << 0,
	SLOT_F_ESN = 1u << 0,
};

static const uint8_t nvram_magic[4] = {'R', 'M', 'N', 'V'};

static const struct {
	uint16_t off, len;
	const char *name;
} regions[NVRAM_R__COUNT] = {
    [NVRAM_R_HEADER] = {0x000, HDR_LEN, "header"},
    [NVRAM_R_CONFIG0] = {CFG_OFF, CFG_LEN, "config[0]"},
    [NVRAM_R_CONFIG1] = {CFG_OFF + CFG_STRIDE, CFG_LEN, "config[1]"},
    [NVRAM_R_SEL0] = {SEL_OFF, SEL_LEN, "selector[0]"},
    [NVRAM_R_SEL1] = {SEL_OFF + SEL_STRIDE, SEL_LEN, "selector[1]"},
    [NVRAM_R_CKPT_S0C0] = {CKPT_OFF, CKPT_LEN, "checkpoint[0][0]"},
    [NVRAM_R_CKPT_S0C1] = {CKPT_OFF + CKPT_STRIDE, CKPT_LEN, "checkpoint[0][1]"},
    [NVRAM_R_CKPT_S1C0] = {CKPT_OFF + 2 * CKPT_STRIDE, CKPT_LEN, "checkpoint[1][0]"},
    [NVRAM_R_CKPT_S1C1] = {CKPT_OFF + 3 * CKPT_STRIDE, CKPT_LEN, "checkpoint[1][1]"},
    [NVRAM_R_RXCK_S0C0] = {RXCK_OFF, RXCK_LEN, "receive-checkpoint[0][0]"},
    [NVRAM_R_RXCK_S0C1] = {RXCK_OFF + RXCK_STRIDE, RXCK_LEN, "receive-checkpoint[0][1]"},
    [NVRAM_R_RXCK_S1C0] = {RXCK_OFF + 2 * RXCK_STRIDE, RXCK_LEN, "receive-checkpoint[1][0]"},
    [NVRAM_R_RXCK_S1C1] = {RXCK_OFF + 3 * RXCK_STRIDE, RXCK_LEN, "receive-checkpoint[1][1]"},
    [NVRAM_R_SLOT0] = {SLOT_OFF, SLOT_LEN, "slot[0]"},
    [NVRAM_R_SLOT1] = {SLOT_OFF + SLOT_STRIDE, SLOT_LEN, "slot[1]"},
};

_Static_assert(SLOT_OFF + 2 * SLOT_STRIDE == NVRAM_IMAGE_SIZE, "layout fills the image");
_Static_assert(SLOT_KEYS_OFF + 2 * (NVRAM_KEY_MAX + NVRAM_SALT_MAX + NVRAM_INTEG_KEY_MAX) +
		       CRC_LEN ==
		   SLOT_LEN,
	       "slot record: header, two key sets, CRC");
_Static_assert(SLOT_LEN <= SLOT_STRIDE && CKPT_LEN <= CKPT_STRIDE && RXCK_LEN <= RXCK_STRIDE &&
		   SEL_LEN <= SEL_STRIDE && CFG_LEN <= CFG_STRIDE,
	       "records fit their regions");
_Static_assert(CKPT_OFF + 4 * CKPT_STRIDE <= RXCK_OFF, "checkpoints before receive checkpoints");
_Static_assert(RXCK_OFF + 4 * RXCK_STRIDE <= SLOT_OFF, "receive checkpoints before slots");
_Static_assert(SEL_OFF + 2 * SEL_STRIDE <= CKPT_OFF, "selectors before checkpoints");

/*
 * CRC-32 of IEEE 802.3 / ISO-HDLC: polynomial 0x04C11DB7, here in its
 * reflected form 0xEDB88320, initial value and final XOR 0xFFFFFFFF. Check
 * value: CRC-32("123456789") = 0xCBF43926. Table generated from the
 * polynomial (entry i = i shifted through eight rounds).
 */
static const uint32_t crc_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f, 0xe963a535, 0x9e6495a3,
    0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988, 0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91,
    0x1db71064, 0x6ab020f2, 0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9, 0xfa0f3d63, 0x8d080df5,
    0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172, 0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b,
    0x35b5a8fa, 0x42b2986c, 0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423, 0xcfba9599, 0xb8bda50f,
    0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924, 0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d,
    0x76dc4190, 0x01db7106, 0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d, 0x91646c97, 0xe6635c01,
    0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e, 0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457,
    0x65b0d9c6, 0x12b7e950, 0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7, 0xa4d1c46d, 0xd3d6f4fb,
    0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0, 0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9,
    0x5005713c, 0x270241aa, 0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81, 0xb7bd5c3b, 0xc0ba6cad,
    0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a, 0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683,
    0xe3630b12, 0x94643b84, 0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb, 0x196c3671, 0x6e6b06e7,
    0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc, 0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5,
    0xd6d6a3e8, 0xa1d1937e, 0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55, 0x316e8eef, 0x4669be79,
    0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236, 0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f,
    0xc5ba3bbe, 0xb2bd0b28, 0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f, 0x72076785, 0x05005713,
    0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38, 0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21,
    0x86d3d2d4, 0xf1d4e242, 0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69, 0x616bffd3, 0x166ccf45,
    0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2, 0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db,
    0xaed16a4a, 0xd9d65adc, 0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693, 0x54de5729, 0x23d967bf,
    0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94, 0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

uint32_t
nvram_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

static void set_err(struct nvram *nv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_err(struct nvram *nv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(nv->err, sizeof(nv->err), fmt, ap);
	va_end(ap);
}

/* ---- records: encode into a buffer ending in its CRC, decode after checking it ---- */

static void
seal(uint8_t *rec, size_t len)
{
	put_be32(rec + len - CRC_LEN, nvram_crc32(rec, len - CRC_LEN));
}

static bool
crc_ok(const uint8_t *rec, size_t len)
{
	return get_be32(rec + len - CRC_LEN) == nvram_crc32(rec, len - CRC_LEN);
}

static bool
is_erased(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ERASED)
			return false;
	return true;
}

static bool
all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static void
enc_header(uint8_t *rec)
{
	struct wr w = wr_init(rec, HDR_LEN);
	wr_bytes(&w, nvram_magic, sizeof(nvram_magic));
	wr_be16(&w, NVRAM_VERSION);
	wr_be16(&w, NVRAM_IMAGE_SIZE);
	wr_be32(&w, 0);
	seal(rec, HDR_LEN);
}

static void
enc_config(uint8_t *rec, const struct nvram_policy *p, uint32_t gen)
{
	struct wr w = wr_init(rec, CFG_LEN);
	wr_u8(&w, TAG_CONFIG);
	wr_u8(&w, 0);
	wr_be16(&w, p->clear_allowed ? CFG_F_CLEAR : 0);
	wr_be16(&w, p->clear_port);
	wr_be16(&w, p->clear_msgs);
	wr_be32(&w, gen);
	seal(rec, CFG_LEN);
}

static int
dec_config(const uint8_t *rec, struct nvram_policy *p, uint32_t *gen)
{
	struct rd r = rd_init(rec, CFG_LEN);
	uint8_t tag, rsv;
	uint16_t flags;
	if (!crc_ok(rec, CFG_LEN))
		return RMC_EINVAL;
	rd_u8(&r, &tag);
	rd_u8(&r, &rsv);
	rd_be16(&r, &flags);
	rd_be16(&r, &p->clear_port);
	rd_be16(&r, &p->clear_msgs);
	rd_be32(&r, gen);
	if (tag != TAG_CONFIG || rsv || (flags & ~CFG_F_CLEAR) || p->clear_port == 0 ||
	    (p->clear_msgs & ~ASF_CLEAR_ALL_MSGS))
		return RMC_EINVAL;
	p->clear_allowed = flags & CFG_F_CLEAR;
	return RMC_OK;
}

static void
enc_sel(uint8_t *rec, const struct nvram_sel *s)
{
	struct wr w = wr_init(rec, SEL_LEN);
	wr_u8(&w, TAG_SEL);
	wr_u8(&w, s->active < 0 ? SEL_NONE : (uint8_t)s->active);
	wr_be16(&w, 0);
	wr_be32(&w, s->sel_gen);
	wr_be32(&w, s->active_gen);
	wr_be32(&w, s->retired_gen);
	wr_be32(&w, s->txid);
	seal(rec, SEL_LEN);
}

static int
dec_sel(const uint8_t *rec, struct nvram_sel *s)
{
	struct rd r = rd_init(rec, SEL_LEN);
	uint8_t tag, active;
	uint16_t rsv;
	if (!crc_ok(rec, SEL_LEN))
		return RMC_EINVAL;
	rd_u8(&r, &tag);
	rd_u8(&r, &active);
	rd_be16(&r, &rsv);
	rd_be32(&r, &s->sel_gen);
	rd_be32(&r, &s->active_gen);
	rd_be32(&r, &s->retired_gen);
	rd_be32(&r, &s->txid);
	if (tag != TAG_SEL || rsv || (active > 1 && active != SEL_NONE))
		return RMC_EINVAL;
	s->active = active == SEL_NONE ? -1 : active;
	return RMC_OK;
}

struct ckpt {
	uint32_t sa_gen;
	uint32_t spi_out;
	uint64_t next_safe;
};

static void
enc_ckpt(uint8_t *rec, const struct ckpt *c)
{
	struct wr w = wr_init(rec, CKPT_LEN);
	wr_u8(&w, TAG_CKPT);
	wr_u8(&w, 0);
	wr_be16(&w, 0);
	wr_be32(&w, c->sa_gen);
	wr_be32(&w, c->spi_out);
	wr_be64(&w, c->next_safe);
	seal(rec, CKPT_LEN);
}

static int
dec_ckpt(const uint8_t *rec, struct ckpt *c)
{
	struct rd r = rd_init(rec, CKPT_LEN);
	uint8_t tag, rsv8;
	uint16_t rsv16;
	if (!crc_ok(rec, CKPT_LEN))
		return RMC_EINVAL;
	rd_u8(&r, &tag);
	rd_u8(&r, &rsv8);
	rd_be16(&r, &rsv16);
	rd_be32(&r, &c->sa_gen);
	rd_be32(&r, &c->spi_out);
	rd_be64(&r, &c->next_safe);
	if (tag != TAG_CKPT || rsv8 || rsv16 || c->next_safe == 0)
		return RMC_EINVAL;
	return RMC_OK;
}

/*
 * A receive checkpoint: the inbound replay floor of the SA of this
 * generation and inbound SPI. Same shape as the outbound checkpoint.
 */
struct rxck {
	uint32_t sa_gen;
	uint32_t spi_in;
	uint64_t floor;
};

static void
enc_rxck(uint8_t *rec, const struct rxck *c)
{
	struct wr w = wr_init(rec, RXCK_LEN);
	wr_u8(&w, TAG_RXCK);
	wr_u8(&w, 0);
	wr_be16(&w, 0);
	wr_be32(&w, c->sa_gen);
	wr_be32(&w, c->spi_in);
	wr_be64(&w, c->floor);
	seal(rec, RXCK_LEN);
}

static int
dec_rxck(const uint8_t *rec, struct rxck *c)
{
	struct rd r = rd_init(rec, RXCK_LEN);
	uint8_t tag, rsv8;
	uint16_t rsv16;
	if (!crc_ok(rec, RXCK_LEN))
		return RMC_EINVAL;
	rd_u8(&r, &tag);
	rd_u8(&r, &rsv8);
	rd_be16(&r, &rsv16);
	rd_be32(&r, &c->sa_gen);
	rd_be32(&r, &c->spi_in);
	rd_be64(&r, &c->floor);
	if (tag != TAG_RXCK || rsv8 || rsv16 || c->sa_gen == 0 || c->spi_in == 0 || c->floor == 0)
		return RMC_EINVAL;
	return RMC_OK;
}

/* One direction's key set, each field zero-padded to its maximum. */
static void
wr_key_set(struct wr *w, const struct nvram_sa *sa, const uint8_t *key, const uint8_t *salt,
	   const uint8_t *integ)
{
	uint8_t pad[NVRAM_KEY_MAX + NVRAM_SALT_MAX + NVRAM_INTEG_KEY_MAX] = {0};
	memcpy(pad, key, sa->key_len);
	memcpy(pad + NVRAM_KEY_MAX, salt, sa->salt_len);
	memcpy(pad + NVRAM_KEY_MAX + NVRAM_SALT_MAX, integ, sa->integ_key_len);
	wr_bytes(w, pad, sizeof(pad));
	explicit_bzero(pad, sizeof(pad));
}

static void
enc_slot(uint8_t *rec, const struct nvram_sa *sa)
{
	struct wr w = wr_init(rec, SLOT_LEN);
	wr_u8(&w, TAG_SLOT);
	wr_u8(&w, sa->suite);
	wr_u8(&w, sa->esn ? SLOT_F_ESN : 0);
	wr_u8(&w, 0);
	wr_u8(&w, sa->key_len);
	wr_u8(&w, sa->salt_len);
	wr_u8(&w, sa->integ_key_len);
	wr_u8(&w, 0);
	wr_be32(&w, sa->gen);
	wr_be32(&w, sa->txid);
	wr_be32(&w, sa->spi_in);
	wr_be32(&w, sa->spi_out);
	wr_bytes(&w, sa->peer_ip, sizeof(sa->peer_ip));
	wr_key_set(&w, sa, sa->key, sa->salt, sa->integ_key);
	wr_key_set(&w, sa, sa->key_in, sa->salt_in, sa->integ_key_in);
	seal(rec, SLOT_LEN);
}

static bool
sa_fields_ok(const struct nvram_sa *sa)
{
	return sa->suite != 0 && sa->spi_in != 0 && sa->spi_out != 0 &&
	       sa->key_len <= NVRAM_KEY_MAX && sa->salt_len <= NVRAM_SALT_MAX &&
	       sa->integ_key_len <= NVRAM_INTEG_KEY_MAX && (sa->key_len || sa->integ_key_len);
}

/* Key bytes past their length must be zero: one image per SA, nothing hidden. */
static bool
key_set_padding_zero(const struct nvram_sa *sa, const uint8_t *key, const uint8_t *salt,
		     const uint8_t *integ)
{
	return all_zero(key + sa->key_len, NVRAM_KEY_MAX - sa->key_len) &&
	       all_zero(salt + sa->salt_len, NVRAM_SALT_MAX - sa->salt_len) &&
	       all_zero(integ + sa->integ_key_len, NVRAM_INTEG_KEY_MAX - sa->integ_key_len);
}

static int
dec_slot(const uint8_t *rec, struct nvram_sa *sa)
{
	struct rd r = rd_init(rec, SLOT_LEN);
	uint8_t tag, flags, rsv1, rsv2;
	int rc = RMC_EINVAL;
	if (!crc_ok(rec, SLOT_LEN))
		return RMC_EINVAL;
	memset(sa, 0, sizeof(*sa));
	rd_u8(&r, &tag);
	rd_u8(&r, &sa->suite);
	rd_u8(&r, &flags);
	rd_u8(&r, &rsv1);
	rd_u8(&r, &sa->key_len);
	rd_u8(&r, &sa->salt_len);
	rd_u8(&r, &sa->integ_key_len);
	rd_u8(&r, &rsv2);
	rd_be32(&r, &sa->gen);
	rd_be32(&r, &sa->txid);
	rd_be32(&r, &sa->spi_in);
	rd_be32(&r, &sa->spi_out);
	rd_copy(&r, sa->peer_ip, sizeof(sa->peer_ip));
	rd_copy(&r, sa->key, sizeof(sa->key));
	rd_copy(&r, sa->salt, sizeof(sa->salt));
	rd_copy(&r, sa->integ_key, sizeof(sa->integ_key));
	rd_copy(&r, sa->key_in, sizeof(sa->key_in));
	rd_copy(&r, sa->salt_in, sizeof(sa->salt_in));
	rd_copy(&r, sa->integ_key_in, sizeof(sa->integ_key_in));
	sa->esn = flags & SLOT_F_ESN;
	if (tag != TAG_SLOT || (flags & ~SLOT_F_ESN) || rsv1 || rsv2 || sa->gen == 0 ||
	    !sa_fields_ok(sa))
		goto out;
	if (!key_set_padding_zero(sa, sa->key, sa->salt, sa->integ_key) ||
	    !key_set_padding_zero(sa, sa->key_in, sa->salt_in, sa->integ_key_in))
		goto out;
	rc = RMC_OK;
out:
	if (rc)
		explicit_bzero(sa, sizeof(*sa));
	return rc;
}

/* ---- decoding a whole image into the RAM view ---- */

static const uint8_t *
region_ptr(const uint8_t *img, enum nvram_region r)
{
	return img + regions[r].off;
}

static enum nvram_region
ckpt_region(int slot, int copy)
{
	return (enum nvram_region)(NVRAM_R_CKPT_S0C0 + 2 * slot + copy);
}

static enum nvram_region
rxck_region(int slot, int copy)
{
	return (enum nvram_region)(NVRAM_R_RXCK_S0C0 + 2 * slot + copy);
}

/*
 * Magic, CRC and version come before the length: an image of another
 * format version has another size, and "version 1" says more than
 * "truncated".
 */
static int
check_header(struct nvram *nv, const uint8_t *img, size_t len)
{
	struct rd r;
	uint8_t magic[4];
	uint16_t version, size;
	uint32_t rsv;
	if (len < HDR_LEN) {
		set_err(nv, "truncated image: %zu of %d bytes", len, NVRAM_IMAGE_SIZE);
		return RMC_ETRUNC;
	}
	r = rd_init(img, HDR_LEN);
	rd_copy(&r, magic, sizeof(magic));
	rd_be16(&r, &version);
	rd_be16(&r, &size);
	rd_be32(&r, &rsv);
	if (memcmp(magic, nvram_magic, sizeof(magic)) != 0) {
		set_err(nv, "bad magic %02x%02x%02x%02x, expected \"RMNV\"", magic[0], magic[1],
			magic[2], magic[3]);
		return RMC_EINVAL;
	}
	if (!crc_ok(img, HDR_LEN)) {
		set_err(nv, "header CRC mismatch");
		return RMC_EINVAL;
	}
	if (version != NVRAM_VERSION) {
		set_err(nv, "format version %u, this build reads only version %d", version,
			NVRAM_VERSION);
		return RMC_EUNSUP;
	}
	if (len < NVRAM_IMAGE_SIZE) {
		set_err(nv, "truncated image: %zu of %d bytes", len, NVRAM_IMAGE_SIZE);
		return RMC_ETRUNC;
	}
	if (len > NVRAM_IMAGE_SIZE) {
		set_err(nv, "image of %zu bytes, expected %d", len, NVRAM_IMAGE_SIZE);
		return RMC_EINVAL;
	}
	if (size != NVRAM_IMAGE_SIZE || rsv != 0) {
		set_err(nv, "header declares %u bytes (reserved %08x), expected %d and 0", size,
			rsv, NVRAM_IMAGE_SIZE);
		return RMC_EINVAL;
	}
	return RMC_OK;
}

static void
decode_config(struct nvram *nv)
{
	static const struct nvram_policy secure_only = {false, 623, 0};
	int valid = 0;
	nv->policy = secure_only;
	nv->cfg_gen = 0;
	nv->cfg_copy = -1;
	for (int c = 0; c < 2; c++) {
		const uint8_t *p = region_ptr(nv->img, NVRAM_R_CONFIG0 + c);
		struct nvram_policy pol;
		uint32_t gen;
		if (dec_config(p, &pol, &gen) != RMC_OK) {
			if (!is_erased(p, CFG_LEN))
				nv->warnings |= NVRAM_W_CONFIG_COPY;
			continue;
		}
		valid++;
		if (nv->cfg_copy < 0 || gen > nv->cfg_gen) {
			nv->policy = pol;
			nv->cfg_gen = gen;
			nv->cfg_copy = c;
		}
	}
	if (!valid)
		nv->warnings |= NVRAM_W_CONFIG_LOST;
}

static void
decode_sel(struct nvram *nv)
{
	static const struct nvram_sel none = {0, -1, 0, 0, 0};
	nv->sel = none;
	nv->sel_copy = -1;
	for (int c = 0; c < 2; c++) {
		const uint8_t *p = region_ptr(nv->img, NVRAM_R_SEL0 + c);
		struct nvram_sel s;
		if (dec_sel(p, &s) != RMC_OK) {
			if (!is_erased(p, SEL_LEN))
				nv->warnings |= NVRAM_W_SEL_COPY;
			continue;
		}
		if (nv->sel_copy < 0 || s.sel_gen > nv->sel.sel_gen) {
			nv->sel = s;
			nv->sel_copy = c;
		}
	}
}

static uint32_t
max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static void
decode_slots(struct nvram *nv)
{
	nv->gen_seen = max_u32(nv->sel.active_gen, nv->sel.retired_gen);
	for (int s = 0; s < 2; s++) {
		const uint8_t *p = region_ptr(nv->img, NVRAM_R_SLOT0 + s);
		struct nvram_slot *sl = &nv->slot[s];
		memset(sl, 0, sizeof(*sl));
		sl->ckpt_copy = -1;
		sl->rx_copy = -1;
		sl->valid = dec_slot(p, &sl->sa) == RMC_OK;
		if (sl->valid)
			nv->gen_seen = max_u32(nv->gen_seen, sl->sa.gen);
		else if (!is_erased(p, SLOT_LEN))
			nv->warnings |= NVRAM_W_SLOT_BAD;
	}
}

/*
 * The selector names the active slot and the generation it must hold. If
 * that slot does not decode (damage, not a power cut: the active slot is
 * never written), the other slot is used only if it is older, i.e. the
 * SA committed before; never a pending one.
 */
static void
resolve_active(struct nvram *nv)
{
	int a = nv->sel.active, o;
	if (a < 0)
		return;
	if (nv->slot[a].valid && nv->slot[a].sa.gen == nv->sel.active_gen)
		return;
	nv->warnings |= NVRAM_W_ACTIVE_LOST;
	o = 1 - a;
	if (nv->slot[o].valid && nv->slot[o].sa.gen < nv->sel.active_gen) {
		nv->warnings |= NVRAM_W_FELL_BACK;
		nv->sel.active = o;
		nv->sel.active_gen = nv->slot[o].sa.gen;
		nv->sel.txid = nv->slot[o].sa.txid;
	} else {
		nv->sel.active = -1;
	}
}

static void
resolve_pending(struct nvram *nv)
{
	nv->pending = -1;
	for (int s = 0; s < 2; s++) {
		const struct nvram_slot *sl = &nv->slot[s];
		if (s == nv->sel.active || !sl->valid || sl->sa.gen <= nv->sel.retired_gen ||
		    sl->sa.gen <= nv->sel.active_gen)
			continue;
		if (nv->pending >= 0) {
			nv->warnings |= NVRAM_W_TWO_PENDING;
			if (nv->slot[nv->pending].sa.gen > sl->sa.gen)
				continue;
		}
		nv->pending = s;
	}
}

/* The newest checkpoint of this very SA (generation and SPI) wins; stale ones are ignored. */
static void
decode_ckpts(struct nvram *nv, int s)
{
	struct nvram_slot *sl = &nv->slot[s];
	sl->limit = 1; /* nothing reserved: the first number, 1, needs a checkpoint */
	for (int c = 0; c < 2; c++) {
		const uint8_t *p = region_ptr(nv->img, ckpt_region(s, c));
		struct ckpt ck;
		if (dec_ckpt(p, &ck) != RMC_OK) {
			if (!is_erased(p, CKPT_LEN))
				nv->warnings |= NVRAM_W_CKPT_BAD;
			continue;
		}
		nv->gen_seen = max_u32(nv->gen_seen, ck.sa_gen);
		if (!sl->valid || ck.sa_gen != sl->sa.gen || ck.spi_out != sl->sa.spi_out)
			continue;
		if (sl->ckpt_copy < 0 || ck.next_safe > sl->limit) {
			sl->limit = ck.next_safe;
			sl->ckpt_copy = c;
		}
	}
	sl->next = sl->limit;
}

/* Highest number an SA may send; RFC 4303 §3.3.3 forbids cycling the counter. */
static uint64_t
seq_max(const struct nvram_sa *sa)
{
	return sa->esn ? UINT64_MAX - 1 : UINT32_MAX;
}

/*
 * The newest receive checkpoint of this very SA (generation and inbound
 * SPI) wins, as for the outbound one; a record of the SA whose floor lies
 * outside its sequence space is damage and is not believed.
 */
static void
decode_rxcks(struct nvram *nv, int s)
{
	struct nvram_slot *sl = &nv->slot[s];
	for (int c = 0; c < 2; c++) {
		const uint8_t *p = region_ptr(nv->img, rxck_region(s, c));
		struct rxck rc;
		if (dec_rxck(p, &rc) != RMC_OK) {
			if (!is_erased(p, RXCK_LEN))
				nv->warnings |= NVRAM_W_RXCK_BAD;
			continue;
		}
		nv->gen_seen = max_u32(nv->gen_seen, rc.sa_gen);
		if (!sl->valid || rc.sa_gen != sl->sa.gen || rc.spi_in != sl->sa.spi_in)
			continue;
		if (rc.floor > seq_max(&sl->sa)) {
			nv->warnings |= NVRAM_W_RXCK_BAD;
			continue;
		}
		if (sl->rx_copy < 0 || rc.floor > sl->rx_floor) {
			sl->rx_floor = rc.floor;
			sl->rx_copy = c;
		}
	}
}

/* Decodes nv->img in place; on error nv's view is unusable and the caller discards it. */
static int
decode(struct nvram *nv, size_t len)
{
	int rc = check_header(nv, nv->img, len);
	if (rc)
		return rc;
	nv->warnings = 0;
	decode_config(nv);
	decode_sel(nv);
	decode_slots(nv);
	resolve_active(nv);
	resolve_pending(nv);
	for (int s = 0; s < 2; s++) {
		decode_ckpts(nv, s);
		decode_rxcks(nv, s);
	}
	nv->power_lost = false;
	nv->cut.armed = false;
	nv->err[0] = '\0';
	return RMC_OK;
}

static int
load_into(struct nvram *nv, const uint8_t *img, size_t len)
{
	struct nvram tmp = *nv;
	int rc;
	memcpy(tmp.img, img, len < NVRAM_IMAGE_SIZE ? len : NVRAM_IMAGE_SIZE);
	rc = decode(&tmp, len);
	if (rc == RMC_OK)
		*nv = tmp;
	else
		memcpy(nv->err, tmp.err, sizeof(nv->err));
	explicit_bzero(&tmp, sizeof(tmp));
	return rc;
}

/* ---- the one write primitive: endurance accounting and power-cut injection ---- */

static void
count_cycle(struct nvram *nv, enum nvram_region r)
{
	struct nvram_stats *st = &nv->stats;
	uint64_t c = ++st->region[r].cycles;
	st->writes++;
	if (c > st->max_cycles)
		st->max_cycles = c;
	if (c == st->budget)
		st->worn_regions++;
}

/* How many bytes of a len-byte write happen before the armed cut, if it falls in it. */
static bool
cut_falls_in(struct nvram *nv, size_t len, size_t *stop)
{
	struct nvram_cut *c = &nv->cut;
	if (!c->armed)
		return false;
	if (c->per_write) {
		if (c->skip > 0) {
			c->skip--;
			return false;
		}
		*stop = c->bytes < len ? (size_t)c->bytes : len;
		return true;
	}
	if (c->bytes >= len) {
		c->bytes -= len;
		return false;
	}
	*stop = (size_t)c->bytes;
	return true;
}

static int
nv_write(struct nvram *nv, enum nvram_region r, const uint8_t *src)
{
	size_t len = regions[r].len, stop = len;
	bool cut;
	if (nv->power_lost) {
		set_err(nv, "power lost: restore before writing %s", regions[r].name);
		return RMC_ESTATE;
	}
	if (nv->cfg.enforce_endurance && nv->stats.region[r].cycles >= nv->stats.budget) {
		nv->stats.refused_worn++;
		set_err(nv, "%s worn out: %llu of %u cycles", regions[r].name,
			(unsigned long long)nv->stats.region[r].cycles, nv->stats.budget);
		return RMC_EIO;
	}
	count_cycle(nv, r);
	cut = cut_falls_in(nv, len, &stop);
	memcpy(nv->img + regions[r].off, src, stop);
	nv->stats.region[r].bytes += stop;
	nv->stats.bytes += stop;
	if (!cut)
		return RMC_OK;
	nv->cut.armed = false;
	nv->power_lost = true;
	nv->stats.cuts++;
	set_err(nv, "power lost after byte %zu of %zu writing %s", stop, len, regions[r].name);
	return RMC_EIO;
}

static int
nv_erase(struct nvram *nv, enum nvram_region r)
{
	uint8_t ff[REC_MAX];
	memset(ff, ERASED, sizeof(ff));
	return nv_write(nv, r, ff);
}

static int
usable(struct nvram *nv)
{
	if (!nv->power_lost)
		return RMC_OK;
	set_err(nv, "power lost: restore first");
	return RMC_ESTATE;
}

/* ---- lifecycle ---- */

void
nvram_config_default(struct nvram_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->policy.clear_allowed = false;
	cfg->policy.clear_port = 623; /* RMCP primary port, DSP0136 §3.2 */
	cfg->policy.clear_msgs = 0;
	cfg->seq_reservation = NVRAM_DEFAULT_RESERVATION;
	cfg->endurance_budget = NVRAM_DEFAULT_BUDGET;
	cfg->enforce_endurance = false;
}

void
nvram_init(struct nvram *nv, const struct nvram_config *cfg)
{
	uint8_t rec[REC_MAX];
	memset(nv, 0, sizeof(*nv));
	if (cfg)
		nv->cfg = *cfg;
	else
		nvram_config_default(&nv->cfg);
	if (nv->cfg.seq_reservation == 0)
		nv->cfg.seq_reservation = 1;
	if (nv->cfg.endurance_budget == 0)
		nv->cfg.endurance_budget = NVRAM_DEFAULT_BUDGET;
	if (nv->cfg.policy.clear_port == 0)
		nv->cfg.policy.clear_port = 623;
	nv->cfg.policy.clear_msgs &= ASF_CLEAR_ALL_MSGS;
	nv->stats.budget = nv->cfg.endurance_budget;
	/* Factory programming: not counted against endurance, not cuttable. */
	memset(nv->img, ERASED, sizeof(nv->img));
	enc_header(rec);
	memcpy(nv->img, rec, HDR_LEN);
	enc_config(rec, &nv->cfg.policy, 1);
	memcpy(nv->img + regions[NVRAM_R_CONFIG0].off, rec, CFG_LEN);
	decode(nv, NVRAM_IMAGE_SIZE);
}

void
nvram_wipe(struct nvram *nv)
{
	if (nv)
		explicit_bzero(nv, sizeof(*nv));
}

int
nvram_load(struct nvram *nv, const uint8_t *img, size_t len)
{
	if (!img) {
		set_err(nv, "no image");
		return RMC_EINVAL;
	}
	return load_into(nv, img, len);
}

void
nvram_image(const struct nvram *nv, const uint8_t **img, size_t *len)
{
	*img = nv->img;
	*len = sizeof(nv->img);
}

int
nvram_restore(struct nvram *nv)
{
	struct nvram tmp = *nv;
	int rc = load_into(nv, tmp.img, sizeof(tmp.img));
	explicit_bzero(&tmp, sizeof(tmp));
	return rc;
}

bool
nvram_power_lost(const struct nvram *nv)
{
	return nv->power_lost;
}

const char *
nvram_error(const struct nvram *nv)
{
	return nv->err;
}

unsigned
nvram_warnings(const struct nvram *nv)
{
	return nv->warnings;
}

const char *
nvram_warning_name(unsigned bit)
{
	switch (bit) {
	case NVRAM_W_CONFIG_LOST:
		return "config-lost";
	case NVRAM_W_CONFIG_COPY:
		return "config-copy-bad";
	case NVRAM_W_SEL_COPY:
		return "selector-copy-bad";
	case NVRAM_W_ACTIVE_LOST:
		return "active-slot-lost";
	case NVRAM_W_FELL_BACK:
		return "fell-back-to-previous-sa";
	case NVRAM_W_SLOT_BAD:
		return "slot-bad";
	case NVRAM_W_CKPT_BAD:
		return "checkpoint-copy-bad";
	case NVRAM_W_TWO_PENDING:
		return "two-pending";
	case NVRAM_W_RXCK_BAD:
		return "receive-checkpoint-copy-bad";
	}
	return "unknown";
}

const struct nvram_stats *
nvram_stats(const struct nvram *nv)
{
	return &nv->stats;
}

/* ---- files: the image bytes, nothing else ---- */

int
nvram_file_load(struct nvram *nv, const char *path)
{
	uint8_t buf[NVRAM_IMAGE_SIZE + 1];
	size_t n;
	int rc;
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_err(nv, "%s: %s", path, strerror(errno));
		return RMC_EIO;
	}
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		set_err(nv, "%s: read error", path);
		fclose(f);
		return RMC_EIO;
	}
	fclose(f);
	rc = load_into(nv, buf, n);
	explicit_bzero(buf, sizeof(buf));
	if (rc) {
		char why[NVRAM_ERR_LEN];
		memcpy(why, nv->err, sizeof(why));
		set_err(nv, "%s: %s", path, why);
	}
	return rc;
}

/* Written beside the target and renamed over it, so the file is never half old, half new. */
int
nvram_file_save(struct nvram *nv, const char *path)
{
	char tmp[4096];
	FILE *f;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		set_err(nv, "%s: path too long", path);
		return RMC_EINVAL;
	}
	f = fopen(tmp, "wb");
	if (!f) {
		set_err(nv, "%s: %s", tmp, strerror(errno));
		return RMC_EIO;
	}
	if (fwrite(nv->img, 1, sizeof(nv->img), f) != sizeof(nv->img) || fflush(f) != 0) {
		set_err(nv, "%s: write failed", tmp);
		fclose(f);
		remove(tmp);
		return RMC_EIO;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		set_err(nv, "%s: %s", path, strerror(errno));
		remove(tmp);
		return RMC_EIO;
	}
	return RMC_OK;
}

/* ---- configuration bits ---- */

void
nvram_policy_get(const struct nvram *nv, struct nvram_policy *out)
{
	*out = nv->policy;
}

int
nvram_policy_set(struct nvram *nv, const struct nvram_policy *p)
{
	uint8_t rec[CFG_LEN];
	int copy = nv->cfg_copy == 0 ? 1 : 0, rc;
	if ((rc = usable(nv)))
		return rc;
	if (p->clear_port == 0 || (p->clear_msgs & ~ASF_CLEAR_ALL_MSGS)) {
		set_err(nv, "policy: clear port 0 or unknown message bits %04x", p->clear_msgs);
		return RMC_EINVAL;
	}
	if (nv->cfg_gen == UINT32_MAX) {
		set_err(nv, "config generation exhausted");
		return RMC_ESTATE;
	}
	enc_config(rec, p, nv->cfg_gen + 1);
	if ((rc = nv_write(nv, NVRAM_R_CONFIG0 + copy, rec)))
		return rc;
	nv->policy = *p;
	nv->cfg_gen++;
	nv->cfg_copy = copy;
	return RMC_OK;
}

bool
nvram_clear_request_allowed(const struct nvram_policy *p, uint16_t udp_port, uint8_t asf_type)
{
	unsigned bit = asf_clear_bit(asf_type); /* requests and commands only */
	return p->clear_allowed && udp_port == p->clear_port && bit && (p->clear_msgs & bit);
}

/* ---- SA slots and the selector ---- */

static int
write_sel(struct nvram *nv, struct nvram_sel s)
{
	uint8_t rec[SEL_LEN];
	int copy = nv->sel_copy == 0 ? 1 : 0, rc;
	if (nv->sel.sel_gen == UINT32_MAX) {
		set_err(nv, "selector generation exhausted");
		return RMC_ESTATE;
	}
	s.sel_gen = nv->sel.sel_gen + 1;
	enc_sel(rec, &s);
	if ((rc = nv_write(nv, NVRAM_R_SEL0 + copy, rec)))
		return rc;
	nv->sel = s;
	nv->sel_copy = copy;
	return RMC_OK;
}

static bool
sa_same(const struct nvram_sa *a, const struct nvram_sa *b)
{
	return a->spi_in == b->spi_in && a->spi_out == b->spi_out && a->suite == b->suite &&
	       a->esn == b->esn && a->key_len == b->key_len && a->salt_len == b->salt_len &&
	       a->integ_key_len == b->integ_key_len && a->txid == b->txid &&
	       memcmp(a->key, b->key, a->key_len) == 0 &&
	       memcmp(a->salt, b->salt, a->salt_len) == 0 &&
	       memcmp(a->integ_key, b->integ_key, a->integ_key_len) == 0 &&
	       memcmp(a->key_in, b->key_in, a->key_len) == 0 &&
	       memcmp(a->salt_in, b->salt_in, a->salt_len) == 0 &&
	       memcmp(a->integ_key_in, b->integ_key_in, a->integ_key_len) == 0 &&
	       memcmp(a->peer_ip, b->peer_ip, sizeof(a->peer_ip)) == 0;
}

/* Never the active slot; with none active, the pending one, else an empty or older one. */
static int
stage_target(const struct nvram *nv)
{
	if (nv->sel.active >= 0 && nv->cfg.mutant_in_place)
		return nv->sel.active;
	if (nv->sel.active >= 0)
		return 1 - nv->sel.active;
	if (nv->pending >= 0)
		return nv->pending;
	if (!nv->slot[0].valid)
		return 0;
	if (!nv->slot[1].valid)
		return 1;
	return nv->slot[0].sa.gen <= nv->slot[1].sa.gen ? 0 : 1;
}

/*
 * Whether an SA the image still remembers (in a slot, active, pending or
 * retired, or in a checkpoint) sent under this outbound SPI: staging it
 * again would restart that SPI's sequence numbers at 1.
 */
static bool
spi_out_known(const struct nvram *nv, uint32_t spi_out)
{
	struct ckpt ck;
	for (int s = 0; s < 2; s++)
		if (nv->slot[s].valid && nv->slot[s].sa.spi_out == spi_out)
			return true;
	for (int i = 0; i < 4; i++)
		if (dec_ckpt(region_ptr(nv->img, NVRAM_R_CKPT_S0C0 + i), &ck) == RMC_OK &&
		    ck.spi_out == spi_out)
			return true;
	return false;
}

/*
 * A key used in both directions: with AES-GCM and one salt each end's
 * first packet is sequence 1 under the same key, a repeated nonce (RFC
 * 4106 §3); RFC 7296 §2.17 gives each direction its own keys. (The salt
 * alone may repeat: it is no key.)
 */
static bool
directions_share_a_key(const struct nvram_sa *sa)
{
	return (sa->key_len && memcmp(sa->key, sa->key_in, sa->key_len) == 0) ||
	       (sa->integ_key_len &&
		memcmp(sa->integ_key, sa->integ_key_in, sa->integ_key_len) == 0);
}

static int
stage_check(struct nvram *nv, const struct nvram_sa *sa)
{
	if (!sa_fields_ok(sa)) {
		set_err(nv, "stage: suite 0, SPI 0, key length over its maximum or no key");
		return RMC_EINVAL;
	}
	if (directions_share_a_key(sa)) {
		set_err(nv, "stage: a key is both inbound and outbound (RFC 7296 2.17)");
		return RMC_EINVAL;
	}
	if (spi_out_known(nv, sa->spi_out)) {
		set_err(nv, "stage: outbound SPI %08x already used by a stored SA", sa->spi_out);
		return RMC_EINVAL;
	}
	if (nv->gen_seen == UINT32_MAX) {
		set_err(nv, "SA generation exhausted");
		return RMC_ESTATE;
	}
	return RMC_OK;
}

int
nvram_sa_stage(struct nvram *nv, const struct nvram_sa *sa)
{
	uint8_t rec[SLOT_LEN];
	struct nvram_slot *sl;
	struct nvram_sa staged;
	int rc, t;
	if ((rc = usable(nv)))
		return rc;
	if (nv->pending >= 0 && sa_same(&nv->slot[nv->pending].sa, sa))
		return RMC_OK;
	if ((rc = stage_check(nv, sa)))
		return rc;
	t = stage_target(nv);
	staged = *sa;
	staged.gen = nv->gen_seen + 1;
	enc_slot(rec, &staged);
	rc = nv_write(nv, NVRAM_R_SLOT0 + t, rec);
	explicit_bzero(rec, sizeof(rec));
	if (rc) {
		explicit_bzero(&staged, sizeof(staged));
		return rc;
	}
	sl = &nv->slot[t];
	explicit_bzero(sl, sizeof(*sl));
	sl->valid = true;
	sl->sa = staged;
	sl->ckpt_copy = -1;
	sl->rx_copy = -1;
	sl->limit = sl->next = 1;
	nv->gen_seen = staged.gen;
	nv->pending = t;
	nv->stats.stages++;
	explicit_bzero(&staged, sizeof(staged));
	return RMC_OK;
}

int
nvram_sa_commit(struct nvram *nv, uint32_t txid)
{
	const struct nvram_slot *p;
	struct nvram_sel s;
	int rc;
	if ((rc = usable(nv)))
		return rc;
	if (nv->pending < 0 || nv->slot[nv->pending].sa.txid != txid) {
		if (nv->sel.active >= 0 && nv->sel.txid == txid)
			return RMC_OK; /* a repeated CONFIRM: already done */
		if (nv->pending < 0) {
			set_err(nv, "commit %08x: no pending SA", txid);
			return RMC_ENOENT;
		}
		set_err(nv, "commit %08x: pending SA belongs to transaction %08x", txid,
			nv->slot[nv->pending].sa.txid);
		return RMC_EINVAL;
	}
	p = &nv->slot[nv->pending];
	s.active = nv->pending;
	s.active_gen = p->sa.gen;
	s.retired_gen = p->sa.gen;
	s.txid = txid;
	if ((rc = write_sel(nv, s)))
		return rc;
	nv->pending = -1;
	nv->stats.commits++;
	return RMC_OK;
}

int
nvram_sa_discard_pending(struct nvram *nv)
{
	struct nvram_sel s;
	int rc;
	if ((rc = usable(nv)))
		return rc;
	if (nv->pending < 0)
		return RMC_OK;
	s = nv->sel;
	s.retired_gen = nv->slot[nv->pending].sa.gen;
	if ((rc = write_sel(nv, s)))
		return rc;
	nv->pending = -1;
	nv->stats.discards++;
	return RMC_OK;
}

static int
sa_copy_out(const struct nvram *nv, int slot, struct nvram_sa *out)
{
	if (slot < 0)
		return RMC_ENOENT;
	*out = nv->slot[slot].sa;
	return RMC_OK;
}

int
nvram_sa_active(const struct nvram *nv, struct nvram_sa *out)
{
	return sa_copy_out(nv, nv->sel.active, out);
}

int
nvram_sa_pending(const struct nvram *nv, struct nvram_sa *out)
{
	return sa_copy_out(nv, nv->pending, out);
}

/*
 * The selector write is the clear's commit point: once it lands, no slot
 * is active and every stored generation is retired, so a cut during the
 * erasures that follow (which only wipe the keys) changes nothing.
 */
int
nvram_clear(struct nvram *nv)
{
	struct nvram_sel s = {0, -1, 0, 0, 0};
	int rc;
	if ((rc = usable(nv)))
		return rc;
	s.retired_gen = nv->gen_seen;
	if ((rc = write_sel(nv, s)))
		return rc;
	nv->pending = -1;
	for (int i = 0; i < 2; i++) {
		if ((rc = nv_erase(nv, NVRAM_R_SLOT0 + i)))
			return rc;
		explicit_bzero(&nv->slot[i], sizeof(nv->slot[i]));
		nv->slot[i].ckpt_copy = -1;
		nv->slot[i].rx_copy = -1;
	}
	for (int i = 0; i < 4; i++)
		if ((rc = nv_erase(nv, NVRAM_R_CKPT_S0C0 + i)))
			return rc;
	for (int i = 0; i < 4; i++)
		if ((rc = nv_erase(nv, NVRAM_R_RXCK_S0C0 + i)))
			return rc;
	nv->stats.clears++;
	return RMC_OK;
}

/* ---- outbound sequence numbers: checkpoint + reservation ---- */

static struct nvram_slot *
slot_by_spi(struct nvram *nv, uint32_t spi_out)
{
	int cand[2] = {nv->sel.active, nv->pending};
	for (int i = 0; i < 2; i++)
		if (cand[i] >= 0 && nv->slot[cand[i]].sa.spi_out == spi_out)
			return &nv->slot[cand[i]];
	set_err(nv, "no active or pending SA with outbound SPI %08x", spi_out);
	return NULL;
}

static int
write_ckpt(struct nvram *nv, struct nvram_slot *sl, uint64_t next_safe)
{
	uint8_t rec[CKPT_LEN];
	struct ckpt ck = {sl->sa.gen, sl->sa.spi_out, next_safe};
	int s = (int)(sl - nv->slot), copy = sl->ckpt_copy == 0 ? 1 : 0, rc;
	enc_ckpt(rec, &ck);
	if ((rc = nv_write(nv, ckpt_region(s, copy), rec)))
		return rc;
	sl->limit = next_safe;
	sl->ckpt_copy = copy;
	nv->stats.checkpoints++;
	return RMC_OK;
}

int
nvram_seq_next(struct nvram *nv, uint32_t spi_out, uint64_t *seq)
{
	struct nvram_slot *sl;
	uint64_t max, room;
	int rc;
	if ((rc = usable(nv)))
		return rc;
	if (!(sl = slot_by_spi(nv, spi_out)))
		return RMC_ENOENT;
	max = seq_max(&sl->sa);
	if (sl->next > max) {
		set_err(nv, "SPI %08x: sequence numbers exhausted, rekey (RFC 4303 3.3.3)",
			spi_out);
		return RMC_ESTATE;
	}
	if (sl->next >= sl->limit) {
		room = max + 1 - sl->next;
		rc = write_ckpt(
		    nv, sl,
		    sl->next + (nv->cfg.seq_reservation < room ? nv->cfg.seq_reservation : room));
		if (rc)
			return rc;
	}
	*seq = sl->next++;
	return RMC_OK;
}

int
nvram_seq_reserve(struct nvram *nv, uint32_t spi_out, uint64_t upto)
{
	struct nvram_slot *sl;
	uint64_t cap;
	int rc;
	if ((rc = usable(nv)))
		return rc;
	if (!(sl = slot_by_spi(nv, spi_out)))
		return RMC_ENOENT;
	cap = seq_max(&sl->sa) + 1;
	if (upto > cap)
		upto = cap;
	if (upto <= sl->limit)
		return RMC_OK;
	return write_ckpt(nv, sl, upto);
}

int
nvram_seq_state(const struct nvram *nv, uint32_t spi_out, uint64_t *next, uint64_t *limit)
{
	int cand[2] = {nv->sel.active, nv->pending};
	for (int i = 0; i < 2; i++) {
		if (cand[i] >= 0 && nv->slot[cand[i]].sa.spi_out == spi_out) {
			*next = nv->slot[cand[i]].next;
			*limit = nv->slot[cand[i]].limit;
			return RMC_OK;
		}
	}
	return RMC_ENOENT;
}

/* ---- the inbound replay floor: a receive checkpoint per SA ---- */

/*
 * The slot of the stored SA with this inbound SPI, -1: none. The active
 * SA first, then the pending one, then a retired one still in its slot
 * (IKE picks inbound SPIs at random; nothing forbids two SAs one).
 */
static int
slot_of_spi_in(const struct nvram *nv, uint32_t spi_in)
{
	int order[4] = {nv->sel.active, nv->pending, 0, 1};
	for (int i = 0; i < 4; i++)
		if (order[i] >= 0 && nv->slot[order[i]].valid &&
		    nv->slot[order[i]].sa.spi_in == spi_in)
			return order[i];
	return -1;
}

int
nvram_rx_floor(const struct nvram *nv, uint32_t spi_in, uint64_t *floor)
{
	int s = slot_of_spi_in(nv, spi_in);
	if (s < 0)
		return RMC_ENOENT;
	*floor = nv->slot[s].rx_floor;
	return RMC_OK;
}

int
nvram_rx_floor_raise(struct nvram *nv, uint32_t spi_in, uint64_t floor)
{
	uint8_t rec[RXCK_LEN];
	struct nvram_slot *sl;
	int rc, s, copy;
	if ((rc = usable(nv)))
		return rc;
	if ((s = slot_of_spi_in(nv, spi_in)) < 0) {
		set_err(nv, "no stored SA with inbound SPI %08x", spi_in);
		return RMC_ENOENT;
	}
	sl = &nv->slot[s];
	if (floor > seq_max(&sl->sa)) {
		set_err(nv, "SPI %08x: receive floor %llu outside the sequence space", spi_in,
			(unsigned long long)floor);
		return RMC_EINVAL;
	}
	if (floor <= sl->rx_floor)
		return RMC_OK;
	struct rxck ck = {sl->sa.gen, sl->sa.spi_in, floor};
	copy = sl->rx_copy == 0 ? 1 : 0;
	enc_rxck(rec, &ck);
	if ((rc = nv_write(nv, rxck_region(s, copy), rec)))
		return rc;
	sl->rx_floor = floor;
	sl->rx_copy = copy;
	nv->stats.rx_checkpoints++;
	return RMC_OK;
}

/* ---- power-loss injection ---- */

void
nvram_cut_at(struct nvram *nv, size_t n)
{
	nv->cut.armed = true;
	nv->cut.per_write = false;
	nv->cut.skip = 0;
	nv->cut.bytes = n;
}

void
nvram_cut_at_write(struct nvram *nv, unsigned k, size_t n)
{
	nv->cut.armed = true;
	nv->cut.per_write = true;
	nv->cut.skip = k;
	nv->cut.bytes = n;
}

void
nvram_cut_disarm(struct nvram *nv)
{
	nv->cut.armed = false;
}

/*
 * The verifier's policy: defaults, setters (the hook a scenario fills)
 * and a tiny key=value file for the command line (docs/users/verify.md).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap/verify.h"
#include "proto/err.h"
#include "proto/rmcp.h"

#define ASF_TYPE_VALUE_(name, value, text, word, clear, response) value,
static const uint8_t asf_types[] = {ASF_TYPES(ASF_TYPE_VALUE_)};
#undef ASF_TYPE_VALUE_

void
verify_policy_set_type(struct verify_policy *p, uint8_t type, bool allowed)
{
	if (allowed)
		p->clear_types[type / 8] |= (uint8_t)(1u << (type % 8));
	else
		p->clear_types[type / 8] &= (uint8_t) ~(1u << (type % 8));
}

bool
verify_policy_type_allowed(const struct verify_policy *p, uint8_t type)
{
	return p->clear_types[type / 8] & (1u << (type % 8));
}

static void
allow_all_types(struct verify_policy *p)
{
	memset(p->clear_types, 0, sizeof(p->clear_types));
	for (size_t i = 0; i < sizeof(asf_types); i++)
		verify_policy_set_type(p, asf_types[i], true);
}

void
verify_policy_default(struct verify_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->clear_allowed = true;
	p->clear_port = RMCP_PORT_CLEAR;
	allow_all_types(p);
	p->commit_under_new_sa = true;
}

void
verify_policy_free(struct verify_policy *p)
{
	if (!p)
		return;
	free(p->clear_windows);
	free(p->allowed_dups);
	free(p->forged);
	p->clear_windows = NULL;
	p->allowed_dups = NULL;
	p->forged = NULL;
	p->nclear_windows = 0;
	p->nallowed_dups = 0;
	p->nforged = 0;
}

int
verify_policy_add_window(struct verify_policy *p, uint64_t from_ns, uint64_t to_ns)
{
	struct verify_window *w;

	if (from_ns >= to_ns)
		return RMC_EINVAL;
	w = realloc(p->clear_windows, (p->nclear_windows + 1) * sizeof(*w));
	if (!w)
		return RMC_ENOMEM;
	w[p->nclear_windows++] = (struct verify_window){from_ns, to_ns};
	p->clear_windows = w;
	return RMC_OK;
}

int
verify_policy_add_dup(struct verify_policy *p, uint64_t frame)
{
	uint64_t *d;

	if (frame == 0)
		return RMC_EINVAL;
	if (!(d = realloc(p->allowed_dups, (p->nallowed_dups + 1) * sizeof(*d))))
		return RMC_ENOMEM;
	d[p->nallowed_dups++] = frame;
	p->allowed_dups = d;
	return RMC_OK;
}

int
verify_policy_add_forged(struct verify_policy *p, uint64_t frame)
{
	uint64_t *d;

	if (frame == 0)
		return RMC_EINVAL;
	if (!(d = realloc(p->forged, (p->nforged + 1) * sizeof(*d))))
		return RMC_ENOMEM;
	d[p->nforged++] = frame;
	p->forged = d;
	return RMC_OK;
}

/* Strict unsigned parse: digits (or 0x...) only, the whole token. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return RMC_EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end || x > max)
		return RMC_EINVAL;
	*v = x;
	return RMC_OK;
}

static int
parse_bool(const char *s, bool *b)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*b = true;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*b = false;
	else
		return RMC_EINVAL;
	return RMC_OK;
}

/* "all", "none" or a comma list of type numbers: replaces the set. */
static int
parse_types(struct verify_policy *p, char *s)
{
	uint64_t t;
	char *save;

	memset(p->clear_types, 0, sizeof(p->clear_types));
	if (strcmp(s, "all") == 0) {
		allow_all_types(p);
		return RMC_OK;
	}
	if (strcmp(s, "none") == 0)
		return RMC_OK;
	for (char *tok = strtok_r(s, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (parse_u64(tok, 255, &t))
			return RMC_EINVAL;
		verify_policy_set_type(p, (uint8_t)t, true);
	}
	return RMC_OK;
}

static int
parse_window(struct verify_policy *p, char *s)
{
	uint64_t a, b;
	char *dash = strchr(s, '-');

	if (!dash)
		return RMC_EINVAL;
	*dash = '\0';
	if (parse_u64(s, UINT64_MAX, &a) || parse_u64(dash + 1, UINT64_MAX, &b))
		return RMC_EINVAL;
	return verify_policy_add_window(p, a, b);
}

/* A list of frame numbers, each handed to add. */
static int
parse_frames(struct verify_policy *p, char *s, int (*add)(struct verify_policy *, uint64_t))
{
	uint64_t f;
	char *save;

	for (char *tok = strtok_r(s, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		if (parse_u64(tok, UINT64_MAX, &f) || add(p, f))
			return RMC_EINVAL;
	return RMC_OK;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
apply(struct verify_policy *p, const char *key, char *val)
{
	uint64_t port;

	if (strcmp(key, "clear") == 0)
		return parse_bool(val, &p->clear_allowed);
	if (strcmp(key, "commit_under_new_sa") == 0)
		return parse_bool(val, &p->commit_under_new_sa);
	if (strcmp(key, "clear_port") == 0) {
		if (parse_u64(val, 65535, &port) || port == 0)
			return RMC_EINVAL;
		p->clear_port = (uint16_t)port;
		return RMC_OK;
	}
	if (strcmp(key, "clear_types") == 0)
		return parse_types(p, val);
	if (strcmp(key, "clear_window") == 0)
		return parse_window(p, val);
	if (strcmp(key, "allow_dup") == 0)
		return parse_frames(p, val, verify_policy_add_dup);
	if (strcmp(key, "forged") == 0)
		return parse_frames(p, val, verify_policy_add_forged);
	return RMC_EUNSUP;
}

int
verify_policy_load(struct verify_policy *p, const char *path, char *err, size_t errlen)
{
	char line[4096];
	unsigned no = 0;
	int rc = RMC_OK;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return RMC_EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		no++;
		char *s = trim(line), *eq = strchr(s, '=');
		if (*s == '#' || *s == '\0')
			continue;
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected key = value", path, no);
			rc = RMC_EINVAL;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		if ((rc = apply(p, key, val))) {
			snprintf(err, errlen, "%s:%u: %s '%s'", path, no,
				 rc == RMC_EUNSUP ? "unknown key" : "bad value for", key);
			break;
		}
	}
	fclose(f);
	return rc;
}

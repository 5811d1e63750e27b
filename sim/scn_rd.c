#include "sim/scn_rd.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

int
scn_rd_fail(struct scn_rd *rd, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	char why[SCN_ERR];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(rd->err, rd->errlen, "%s:%lu: field '%s': %s", rd->path,
		 n ? (unsigned long)n->start_mark.line + 1 : 0UL, field, why);
	return RMC_EINVAL;
}

yaml_node_t *
scn_rd_item(const struct scn_rd *rd, int id)
{
	return yaml_document_get_node(rd->doc, id);
}

const char *
scn_rd_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

yaml_node_t *
scn_rd_get(const struct scn_rd *rd, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = scn_rd_scalar(scn_rd_item(rd, p->key));
		if (k && strcmp(k, key) == 0)
			return scn_rd_item(rd, p->value);
	}
	return NULL;
}

static bool
listed(const char *const *keys, const char *k)
{
	for (; keys && *keys; keys++)
		if (strcmp(*keys, k) == 0)
			return true;
	return false;
}

int
scn_rd_keys(struct scn_rd *rd, yaml_node_t *map, const char *where, const char *unknown,
	    const char *const *keys, const char *const *more)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return scn_rd_fail(rd, map, where, "expected a mapping");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = scn_rd_item(rd, p->key);
		const char *k = scn_rd_scalar(kn);
		if (!k)
			return scn_rd_fail(rd, kn, where, "keys must be plain words");
		if (!listed(keys, k) && !listed(more, k))
			return scn_rd_fail(rd, kn, k, "%s", unknown);
	}
	return RMC_OK;
}

int
scn_rd_str(struct scn_rd *rd, yaml_node_t *map, const char *key, bool required, const char **out)
{
	yaml_node_t *n = scn_rd_get(rd, map, key);
	*out = NULL;
	if (!n)
		return required ? scn_rd_fail(rd, map, key, "missing") : RMC_OK;
	if (!(*out = scn_rd_scalar(n)) || !**out)
		return scn_rd_fail(rd, n, key, "expected a value");
	return RMC_OK;
}

int
scn_rd_uint(struct scn_rd *rd, yaml_node_t *map, const char *key, uint64_t lo, uint64_t hi,
	    uint64_t *out)
{
	const char *s;
	int rc = scn_rd_str(rd, map, key, false, &s);
	if (rc || !s)
		return rc;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || *s == '-' || v < lo || v > hi)
		return scn_rd_fail(rd, scn_rd_get(rd, map, key), key,
				   "expected an integer in %llu..%llu, got '%s'",
				   (unsigned long long)lo, (unsigned long long)hi, s);
	*out = v;
	return RMC_OK;
}

int
scn_rd_u32(struct scn_rd *rd, yaml_node_t *map, const char *key, uint64_t lo, uint64_t hi,
	   uint32_t *out)
{
	uint64_t v = *out;
	int rc = scn_rd_uint(rd, map, key, lo, hi, &v);
	*out = (uint32_t)v;
	return rc;
}

int
scn_rd_bool(struct scn_rd *rd, yaml_node_t *map, const char *key, bool *out)
{
	const char *s;
	int rc = scn_rd_str(rd, map, key, false, &s);
	if (rc || !s)
		return rc;
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0) {
		*out = s[0] == 't';
		return RMC_OK;
	}
	return scn_rd_fail(rd, scn_rd_get(rd, map, key), key, "expected true or false, got '%s'",
			   s);
}

int
scn_rd_prob(struct scn_rd *rd, yaml_node_t *map, const char *key, double *out)
{
	const char *s;
	int rc = scn_rd_str(rd, map, key, false, &s);
	if (rc || !s)
		return rc;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > 1)
		return scn_rd_fail(rd, scn_rd_get(rd, map, key), key,
				   "expected a probability in 0..1, got '%s'", s);
	*out = v;
	return RMC_OK;
}

static int
read_time(struct scn_rd *rd, yaml_node_t *map, const char *key, bool required, bool never_ok,
	  uint64_t *out)
{
	const char *s;
	int rc = scn_rd_str(rd, map, key, required, &s);
	if (rc || !s)
		return rc;
	if (never_ok && strcmp(s, "never") == 0) {
		*out = UINT64_MAX;
		return RMC_OK;
	}
	if (scn_parse_duration(s, out) != 0)
		return scn_rd_fail(rd, scn_rd_get(rd, map, key), key,
				   "bad time '%s' (a number with a unit: ns, us, ms, s, m, h)", s);
	return RMC_OK;
}

int
scn_rd_time(struct scn_rd *rd, yaml_node_t *map, const char *key, bool required, uint64_t *out)
{
	return read_time(rd, map, key, required, false, out);
}

int
scn_rd_time_or_never(struct scn_rd *rd, yaml_node_t *map, const char *key, bool required,
		     uint64_t *out)
{
	return read_time(rd, map, key, required, true, out);
}

int
scn_rd_node(struct scn_rd *rd, yaml_node_t *map, const char *key, enum scn_rd_who who,
	    bool required, int *idx)
{
	static const char *const called[] = {
	    [SCN_RD_NODE] = "node",
	    [SCN_RD_NODE_OR_ANY] = "node",
	    [SCN_RD_SERVER] = "server",
	    [SCN_RD_CLIENT] = "client",
	};
	const char *s;
	int rc = scn_rd_str(rd, map, key, required, &s);
	*idx = -1;
	if (rc || !s)
		return rc;
	if (who == SCN_RD_NODE_OR_ANY && strcmp(s, "*") == 0)
		return RMC_OK;
	int i = scenario_node(rd->sc, s);
	bool ok =
	    i >= 0 && (who == SCN_RD_NODE || who == SCN_RD_NODE_OR_ANY ||
		       rd->sc->nodes[i].role == (who == SCN_RD_SERVER ? SCN_SERVER : SCN_CLIENT));
	if (!ok)
		return scn_rd_fail(rd, scn_rd_get(rd, map, key), key, "unknown %s '%s'",
				   called[who], s);
	*idx = i;
	return RMC_OK;
}

int
scn_rd_via(struct scn_rd *rd, yaml_node_t *map, enum scn_via *via)
{
	const char *s;
	int rc = scn_rd_str(rd, map, "via", false, &s);
	if (rc || !s)
		return rc;
	if (scn_via_parse(s, via) != 0)
		return scn_rd_fail(rd, scn_rd_get(rd, map, "via"), "via",
				   "expected secure or clear, got '%s'", s);
	return RMC_OK;
}

int
scn_rd_msg(struct scn_rd *rd, yaml_node_t *map, bool required, struct msg_sel *sel)
{
	const char *s;
	char words[256];
	int rc = scn_rd_str(rd, map, "msg", required, &s);
	if (rc || !s || scn_msg_parse(s, sel) == 0)
		return rc;
	return scn_rd_fail(rd, scn_rd_get(rd, map, "msg"), "msg",
			   "unknown message '%s' (an ASF name such as presence_pong, %s)", s,
			   scn_msg_words(words, sizeof(words)));
}

/*
 * fig6_policy_json: the Fig. 6 table as JSON for `rmcpsec fig6 --json` and
 * the report. Hand-written appender: fsm/ includes no stdio.
 */
#include <string.h>

#include "fsm/policy.h"

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void
put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->full || n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
put_uint(struct out *o, unsigned v)
{
	char tmp[12];
	size_t i = sizeof tmp - 1;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i);
	put(o, tmp + i);
}

/* RFC 8259 §7: escape quote, backslash and control characters. */
static void
put_string(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[7] = {0};

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
		} else if (c < 0x20) {
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
		} else {
			e[0] = (char)c;
		}
		put(o, e);
	}
	put(o, "\"");
}

static void
put_bool(struct out *o, const char *key, bool v)
{
	put(o, ",\"");
	put(o, key);
	put(o, v ? "\":true" : "\":false");
}

static void
put_states(struct out *o, const char *key, unsigned set)
{
	bool first = true;

	put(o, ",\"");
	put(o, key);
	put(o, "\":[");
	for (int s = 0; s < PWR__COUNT; s++) {
		if (!(set & FIG6_BIT(s)))
			continue;
		if (!first)
			put(o, ",");
		put_string(o, power_state_name(s));
		first = false;
	}
	put(o, "]");
}

static void
put_row(struct out *o, const struct fig6_row *r)
{
	put(o, "{\"row\":");
	put_uint(o, (unsigned)r->row);
	put(o, ",\"source\":");
	put_string(o, r->patent ? "patent" : "derived");
	put_states(o, "client", r->client);
	put_states(o, "server", r->server);
	put(o, ",\"text\":");
	put_string(o, r->text);
	put_bool(o, "secure", r->secure);
	put(o, ",\"sa\":");
	put_string(o, fig6_sa_name(r->sa));
	put_bool(o, "refresh", r->refresh);
	put(o, ",\"clear\":{\"port\":");
	put_uint(o, r->clear.port);
	put_bool(o, "allowed", r->clear.allowed);
	put_bool(o, "config_bit", r->clear.config_bit);
	put_bool(o, "restricted", r->clear.restricted);
	put_bool(o, "unilateral", r->clear.unilateral);
	put(o, "}");
	put_bool(o, "failover", r->failover);
	put(o, "}");
}

int
fig6_policy_json(char *buf, size_t cap)
{
	struct out o = {buf, cap, 0, false};
	size_t n;
	const struct fig6_row *rows = fig6_rows(&n);

	if (!buf || cap == 0)
		return -1;
	buf[0] = '\0';
	put(&o, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(&o, ",");
		put_row(&o, &rows[i]);
	}
	put(&o, "]");
	return o.full ? -1 : (int)o.len;
}

#include "sim/utf8.h"

#include <stdlib.h>
#include <string.h>

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/*
 * The well-formed sequence at s (Unicode Table 3-7), its length; or 0, with
 * *bad the length of the maximal subpart to replace (at least 1). The
 * second byte's range depends on the first (E0: A0..BF excludes overlong
 * forms, ED: 80..9F the surrogates, F0: 90..BF overlong, F4: 80..8F above
 * U+10FFFF); later bytes are 80..BF. The terminating NUL is in no range.
 */
static size_t
sequence_len(const unsigned char *s, size_t *bad)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t n;

	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF) {
		n = 2;
	} else if (b >= 0xE0 && b <= 0xEF) {
		n = 3;
		lo = b == 0xE0 ? 0xA0 : lo;
		hi = b == 0xED ? 0x9F : hi;
	} else if (b >= 0xF0 && b <= 0xF4) {
		n = 4;
		lo = b == 0xF0 ? 0x90 : lo;
		hi = b == 0xF4 ? 0x8F : hi;
	} else {
		*bad = 1;
		return 0;
	}
	for (size_t k = 1; k < n; k++) {
		if (s[k] < lo || s[k] > hi) {
			*bad = k;
			return 0;
		}
		lo = 0x80, hi = 0xBF;
	}
	return n;
}

char *
utf8_repair(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	/* At worst every byte is a subpart of its own: 3 bytes of U+FFFD each. */
	char *out = malloc(3 * strlen(s) + 1), *o = out;
	size_t bad;

	if (!out)
		return NULL;
	while (*p) {
		size_t ok = sequence_len(p, &bad);
		if (ok) {
			memcpy(o, p, ok);
			o += ok;
			p += ok;
		} else {
			memcpy(o, replacement, 3);
			o += 3;
			p += bad;
		}
	}
	*o = '\0';
	return out;
}

/* A whole savefile through the verifier. */
#include <stdio.h>

#include "pcap/reader.h"
#include "pcap/verify.h"
#include "proto/err.h"

int
verify_trace(const char *path, const struct verify_policy *p, struct keyring *keys,
	     verify_emit_fn emit, void *arg, struct verify_stats *st, char *err, size_t errlen)
{
	struct reader_frame f;
	struct verifier *v = NULL;
	struct reader *r;
	int rc = RMC_EIO;

	if (st)
		*st = (struct verify_stats){0};
	if (!(r = reader_open(path, err, errlen)))
		goto out;
	if (!(v = verifier_new(p, keys, emit, arg))) {
		snprintf(err, errlen, "out of memory");
		rc = RMC_ENOMEM;
		goto out;
	}
	while ((rc = reader_next(r, &f, err, errlen)) == 1)
		verify_frame(v, f.no, f.t_ns, f.data, f.caplen, f.len);
	if (st)
		*st = *verifier_stats(v);
out:
	verifier_free(v);
	reader_close(r);
	return rc;
}

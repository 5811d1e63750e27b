#include "pcap/reader.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/err.h"

struct reader {
	pcap_t *p;
	uint64_t next_no;
	char *path;
};

struct reader *
reader_open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct reader *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!r->p) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		goto fail;
	}
	if (pcap_datalink(r->p) != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(r->p));
		snprintf(err, errlen,
			 "%s: link type %d (%s), only Ethernet (DLT_EN10MB) is supported", path,
			 pcap_datalink(r->p), name ? name : "unknown");
		goto fail;
	}
	r->next_no = 1;
	if (!(r->path = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return r;
fail:
	reader_close(r);
	return NULL;
}

int
reader_next(struct reader *r, struct reader_frame *f, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(r->p, &h, &data);

	if (rc == PCAP_ERROR_BREAK) /* -2: end of a savefile */
		return 0;
	if (rc != 1) {
		snprintf(err, errlen, "%s: frame %llu: %s", r->path, (unsigned long long)r->next_no,
			 pcap_geterr(r->p));
		return RMC_EIO;
	}
	f->no = r->next_no++;
	/* With nanosecond precision libpcap puts nanoseconds in tv_usec. */
	f->t_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
	f->data = data;
	f->caplen = h->caplen;
	f->len = h->len;
	return 1;
}

void
reader_close(struct reader *r)
{
	if (!r)
		return;
	if (r->p)
		pcap_close(r->p);
	free(r->path);
	free(r);
}

#include "pcap/trace.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/err.h"

struct trace {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	uint64_t frames;
};

struct trace *
trace_open(const char *path, char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->dead =
	    pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	if (!t->dead) {
		snprintf(err, errlen, "pcap_open_dead failed");
		goto fail;
	}
	t->dumper = pcap_dump_open(t->dead, path);
	if (!t->dumper) {
		snprintf(err, errlen, "%s: %s", path, pcap_geterr(t->dead));
		goto fail;
	}
	return t;
fail:
	if (t->dead)
		pcap_close(t->dead);
	free(t);
	return NULL;
}

void
trace_write(struct trace *t, uint64_t t_ns, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(t_ns / 1000000000u);
	/* With nanosecond precision libpcap stores tv_usec as nanoseconds. */
	h.ts.tv_usec = (suseconds_t)(t_ns % 1000000000u);
	h.caplen = (bpf_u_int32)len;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)t->dumper, &h, frame);
	t->frames++;
}

uint64_t
trace_frames(const struct trace *t)
{
	return t->frames;
}

int
trace_close(struct trace *t)
{
	if (!t)
		return RMC_OK;
	int rc = RMC_OK;
	if (pcap_dump_flush(t->dumper) != 0)
		rc = RMC_EIO;
	pcap_dump_close(t->dumper);
	pcap_close(t->dead);
	free(t);
	return rc;
}

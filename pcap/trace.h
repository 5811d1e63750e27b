/*
 * Trace files: libpcap savefiles with DLT_EN10MB and nanosecond timestamps
 * (pcap_open_dead_with_tstamp_precision), one record per frame at its
 * virtual time. Wireshark and tshark read them as they are.
 */
#ifndef RMCPSEC_PCAP_TRACE_H
#define RMCPSEC_PCAP_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct trace;

/* Opens path for writing; on failure returns NULL and fills err. */
struct trace *trace_open(const char *path, char *err, size_t errlen);
void trace_write(struct trace *t, uint64_t t_ns, const uint8_t *frame, size_t len);
uint64_t trace_frames(const struct trace *t);
/* Flushes and closes; returns 0 or a negative rmc_err if the file could not be written. */
int trace_close(struct trace *t);

#endif

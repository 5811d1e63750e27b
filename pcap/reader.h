/*
 * Reading traces back: a libpcap savefile (or pcapng) opened with
 * nanosecond timestamps, DLT_EN10MB only. Frames are numbered from 1, as
 * Wireshark numbers them, so a finding's frame number is the one a user
 * types into Wireshark's "Go to packet". A truncated or corrupt record is
 * an error naming its frame number; libpcap never hands us a partial one.
 */
#ifndef RMCPSEC_PCAP_READER_H
#define RMCPSEC_PCAP_READER_H

#include <stddef.h>
#include <stdint.h>

struct reader;

struct reader_frame {
	uint64_t no;   /* 1, 2, ... */
	uint64_t t_ns; /* timestamp in nanoseconds since the epoch */
	const uint8_t *data;
	size_t caplen; /* bytes in data */
	size_t len;    /* length on the wire; > caplen when the capture cut it */
};

/* NULL with err filled when the file cannot be opened, is not a capture, or is not Ethernet. */
struct reader *reader_open(const char *path, char *err, size_t errlen);
/*
 * 1 with f filled (valid until the next call), 0 at the end of the file,
 * RMC_EIO with err naming the frame number when a record is truncated or
 * corrupt; reading stops there.
 */
int reader_next(struct reader *r, struct reader_frame *f, char *err, size_t errlen);
void reader_close(struct reader *r);

#endif

/*
 * Reading traces back: frames numbered from 1 with their nanosecond
 * timestamps; a file cut at every possible length is either refused at
 * open (no complete file header), read to a clean end (cut between
 * records) or stopped with an error naming the first incomplete frame;
 * other link types, other files and corrupt records are refused.
 */
#include <criterion/criterion.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap/reader.h"
#include "pcap/trace.h"
#include "pcap/verify.h"
#include "proto/err.h"

enum { NFRAMES = 3, PCAP_FILE_HDR = 24, PCAP_REC_HDR = 16 };

static const size_t frame_len[NFRAMES] = {60, 61, 98};
static const uint64_t frame_t[NFRAMES] = {1, 1000000001ull, 1234567890123456789ull};

struct tmp {
	char dir[64];
	char path[96];
	char cut[96];
};

static void
tmp_make(struct tmp *t)
{
	static const char six[] = {'X', 'X', 'X', 'X', 'X', 'X', '\0'};

	snprintf(t->dir, sizeof(t->dir), "/tmp/rmcpsec-reader-%s", six);
	cr_assert_not_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/t.pcap", t->dir);
	snprintf(t->cut, sizeof(t->cut), "%s/cut.pcap", t->dir);
}

static void
tmp_remove(struct tmp *t)
{
	unlink(t->path);
	unlink(t->cut);
	rmdir(t->dir);
}

static void
frame_bytes(size_t i, uint8_t *f)
{
	for (size_t j = 0; j < frame_len[i]; j++)
		f[j] = (uint8_t)(i * 31 + j);
}

static void
write_small(const char *path)
{
	char err[256];
	uint8_t f[128];
	struct trace *t = trace_open(path, err, sizeof(err));

	cr_assert_not_null(t, "%s", err);
	for (size_t i = 0; i < NFRAMES; i++) {
		frame_bytes(i, f);
		trace_write(t, frame_t[i], f, frame_len[i]);
	}
	cr_assert_eq(trace_close(t), 0);
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
spit(const char *path, const uint8_t *buf, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(buf, 1, n, f), n);
	fclose(f);
}

Test(reader, frames_numbered_with_nanosecond_times)
{
	struct tmp t;
	char err[256];
	struct reader_frame f;
	uint8_t want[128];

	tmp_make(&t);
	write_small(t.path);
	struct reader *r = reader_open(t.path, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	for (size_t i = 0; i < NFRAMES; i++) {
		cr_assert_eq(reader_next(r, &f, err, sizeof(err)), 1);
		cr_assert_eq(f.no, i + 1);
		cr_assert_eq(f.t_ns, frame_t[i]);
		cr_assert_eq(f.caplen, frame_len[i]);
		cr_assert_eq(f.len, frame_len[i]);
		frame_bytes(i, want);
		cr_assert_arr_eq(f.data, want, frame_len[i]);
	}
	cr_assert_eq(reader_next(r, &f, err, sizeof(err)), 0);
	reader_close(r);
	tmp_remove(&t);
}

/* Byte offsets where a record ends (a clean cut). */
static bool
at_boundary(size_t len, size_t *complete)
{
	size_t off = PCAP_FILE_HDR;

	*complete = 0;
	for (size_t i = 0; i < NFRAMES; i++) {
		if (len < off + PCAP_REC_HDR + frame_len[i])
			return len == off;
		off += PCAP_REC_HDR + frame_len[i];
		(*complete)++;
	}
	return len == off;
}

Test(reader, every_truncation_length)
{
	struct tmp t;
	uint8_t buf[1024];
	char err[256];
	struct reader_frame f;

	tmp_make(&t);
	write_small(t.path);
	size_t size = slurp(t.path, buf, sizeof(buf));
	cr_assert_eq(size, PCAP_FILE_HDR + NFRAMES * PCAP_REC_HDR + 60 + 61 + 98);
	for (size_t len = 0; len < size; len++) {
		size_t complete, got = 0;
		bool clean = at_boundary(len, &complete);
		int rc;

		spit(t.cut, buf, len);
		err[0] = '\0';
		struct reader *r = reader_open(t.cut, err, sizeof(err));
		if (len < PCAP_FILE_HDR) {
			cr_assert_null(r, "cut at %zu opened", len);
			cr_assert_neq(err[0], '\0');
			continue;
		}
		cr_assert_not_null(r, "cut at %zu: %s", len, err);
		while ((rc = reader_next(r, &f, err, sizeof(err))) == 1)
			got++;
		cr_assert_eq(got, complete, "cut at %zu: %zu frames, want %zu", len, got, complete);
		if (clean) {
			cr_assert_eq(rc, 0, "cut at %zu between records", len);
		} else {
			char want[32];
			snprintf(want, sizeof(want), "frame %zu:", complete + 1);
			cr_assert_eq(rc, RMC_EIO, "cut at %zu inside a record", len);
			cr_assert_not_null(strstr(err, want), "cut at %zu: '%s'", len, err);
		}
		reader_close(r);
	}
	tmp_remove(&t);
}

Test(reader, truncated_trace_through_the_verifier)
{
	struct tmp t;
	uint8_t buf[1024];
	char err[256];
	struct verify_policy p;
	struct verify_stats st;
	struct keyring kr = {0};

	tmp_make(&t);
	write_small(t.path);
	size_t size = slurp(t.path, buf, sizeof(buf));
	spit(t.cut, buf, size - 5);
	verify_policy_default(&p);
	cr_assert_eq(verify_trace(t.cut, &p, &kr, NULL, NULL, &st, err, sizeof(err)), RMC_EIO);
	cr_assert_eq(st.frames, 2, "the frames before the cut were verified");
	cr_assert_not_null(strstr(err, "frame 3:"), "%s", err);
	verify_policy_free(&p);
	tmp_remove(&t);
}

Test(reader, corrupt_record_length)
{
	struct tmp t;
	uint8_t buf[1024];
	char err[256];
	struct reader_frame f;

	tmp_make(&t);
	write_small(t.path);
	size_t size = slurp(t.path, buf, sizeof(buf));
	/* The second record's caplen (bytes 8-11 of its header, host order) set absurdly large. */
	size_t rec2 = PCAP_FILE_HDR + PCAP_REC_HDR + frame_len[0];
	memset(buf + rec2 + 8, 0x7f, 4);
	spit(t.cut, buf, size);
	struct reader *r = reader_open(t.cut, err, sizeof(err));
	cr_assert_not_null(r, "%s", err);
	cr_assert_eq(reader_next(r, &f, err, sizeof(err)), 1);
	cr_assert_eq(reader_next(r, &f, err, sizeof(err)), RMC_EIO);
	cr_assert_not_null(strstr(err, "frame 2:"), "%s", err);
	reader_close(r);
	tmp_remove(&t);
}

Test(reader, other_link_type_refused)
{
	struct tmp t;
	char err[256] = "";
	uint8_t f[40] = {0x45};

	tmp_make(&t);
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	cr_assert_not_null(dead);
	pcap_dumper_t *d = pcap_dump_open(dead, t.path);
	cr_assert_not_null(d);
	struct pcap_pkthdr h = {.caplen = sizeof(f), .len = sizeof(f)};
	pcap_dump((u_char *)d, &h, f);
	pcap_dump_close(d);
	pcap_close(dead);
	cr_assert_null(reader_open(t.path, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "DLT_EN10MB"), "%s", err);
	tmp_remove(&t);
}

Test(reader, not_a_capture_and_missing_file)
{
	struct tmp t;
	char err[256] = "";
	static const char text[] = "this is not a capture file, it is some text\n";

	tmp_make(&t);
	spit(t.path, (const uint8_t *)text, sizeof(text) - 1);
	cr_assert_null(reader_open(t.path, err, sizeof(err)));
	cr_assert_neq(err[0], '\0');
	err[0] = '\0';
	cr_assert_null(reader_open("/nonexistent/trace.pcap", err, sizeof(err)));
	cr_assert_not_null(strstr(err, "/nonexistent/trace.pcap"), "%s", err);
	tmp_remove(&t);
}

/* rmcpsec wireshark TRACE [--tshark [ARGS...]]: open a trace with its keys, the commit
 * dissector and "decode UDP 664 as RMCP" (docs/users/wireshark.md).
 *
 * Wireshark reads ESP keys (esp_sa) and IKEv2 keys (ikev2_decryption_table) only from a
 * configuration profile, so the keys written beside the trace are copied into a fresh
 * temporary profile directory, the viewer runs with WIRESHARK_CONFIG_DIR pointing there,
 * and the directory ($TMPDIR or /tmp) is removed when the viewer exits. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

enum {
	WS_MAX_EXTRA = 64, /* arguments passed through after --tshark */
};

static const char lua_name[] = "rmcpsec_commit.lua";
/* Key files an rmcpsec run writes beside trace.pcap; Wireshark's UAT file names. */
static const char *const key_files[] = {"esp_sa", "ikev2_decryption_table"};

static bool
readable(const char *path)
{
	return access(path, R_OK) == 0;
}

/* RMCPSEC_LUA, then the source tree seen from the binary (build/cli/rmcpsec ->
 * pcap/wireshark/), then the installed copy. */
static int
find_lua(char *out, size_t cap)
{
	const char *env = getenv("RMCPSEC_LUA");
	if (env && *env) {
		if (!readable(env)) {
			fprintf(stderr, "rmcpsec wireshark: RMCPSEC_LUA=%s: %s\n", env,
				strerror(errno));
			return -1;
		}
		snprintf(out, cap, "%s", env);
		return 0;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char cand[PATH_MAX + 64];
		snprintf(cand, sizeof(cand), "%s/../../pcap/wireshark/%s", dirname(exe), lua_name);
		if (readable(cand) && realpath(cand, out))
			return 0;
	}
	snprintf(out, cap, "/usr/share/rmcpsec/%s", lua_name);
	if (readable(out))
		return 0;
	fprintf(stderr, "rmcpsec wireshark: %s not found; set RMCPSEC_LUA to pcap/wireshark/%s\n",
		lua_name, lua_name);
	return -1;
}

static int
copy_file(const char *from, const char *to)
{
	int rc = -1;
	FILE *in = fopen(from, "rb");
	FILE *out = in ? fopen(to, "wb") : NULL;
	if (!out)
		goto out;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			goto out;
	rc = ferror(in) ? -1 : 0;
out:
	if (out && fclose(out) != 0)
		rc = -1;
	if (in)
		fclose(in);
	if (rc)
		fprintf(stderr, "rmcpsec wireshark: copy %s -> %s failed\n", from, to);
	return rc;
}

/* Fills PROFILE/ with the key files found beside TRACE; returns how many or -1. */
static int
fill_profile(const char *trace, const char *profile)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", trace);
	const char *tdir = dirname(dir);
	int found = 0;
	for (size_t i = 0; i < sizeof(key_files) / sizeof(key_files[0]); i++) {
		char from[PATH_MAX * 2], to[PATH_MAX * 2];
		snprintf(from, sizeof(from), "%s/%s", tdir, key_files[i]);
		if (!readable(from))
			continue;
		snprintf(to, sizeof(to), "%s/%s", profile, key_files[i]);
		if (copy_file(from, to))
			return -1;
		found++;
	}
	return found;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "rmcpsec wireshark: could not remove %s\n", dir);
}

/* Runs argv with the temporary profile and waits, so the profile can be removed after. */
static int
run_viewer(char **argv, const char *confdir)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("rmcpsec wireshark: fork");
		return -1;
	}
	if (pid == 0) {
		setenv("WIRESHARK_CONFIG_DIR", confdir, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "rmcpsec wireshark: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* Like system(3): a ^C is for the viewer; we stay to clean up after it. */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	int status;
	pid_t w;
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (w < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int
parse(int argc, char **argv, const char **trace, bool *tshark, int *extra)
{
	*trace = NULL;
	*tshark = false;
	*extra = argc;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--tshark") == 0) {
			*tshark = true;
			*extra = i + 1;
			break;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 1;
		}
		if (argv[i][0] == '-' || *trace) {
			fprintf(stderr, "rmcpsec wireshark: unexpected '%s'\n", argv[i]);
			return -1;
		}
		*trace = argv[i];
	}
	if (!*trace) {
		fprintf(stderr, "rmcpsec wireshark: which trace?\n");
		return -1;
	}
	if (argc - *extra > WS_MAX_EXTRA) {
		fprintf(stderr, "rmcpsec wireshark: more than %d tshark arguments\n", WS_MAX_EXTRA);
		return -1;
	}
	return 0;
}

int
cmd_wireshark(int argc, char **argv)
{
	const char *trace;
	bool tshark;
	int extra;
	int p = parse(argc, argv, &trace, &tshark, &extra);
	if (p != 0)
		return p > 0 ? EXIT_PASS : (usage(stderr), EXIT_USAGE);
	if (!readable(trace)) {
		fprintf(stderr, "rmcpsec wireshark: %s: %s\n", trace, strerror(errno));
		return EXIT_USAGE;
	}
	char lua[PATH_MAX];
	if (find_lua(lua, sizeof(lua)))
		return EXIT_USAGE;

	const char *tmp = getenv("TMPDIR");
	char root[PATH_MAX];
	snprintf(root, sizeof(root), "%s/rmcpsec-wireshark.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		perror("rmcpsec wireshark: mkdtemp");
		return EXIT_USAGE;
	}
	int rc = EXIT_USAGE;
	char confdir[PATH_MAX + 16], lua_arg[PATH_MAX + 16];
	snprintf(confdir, sizeof(confdir), "%s/wireshark", root);
	snprintf(lua_arg, sizeof(lua_arg), "lua_script:%s", lua);
	if (mkdir(confdir, 0700) != 0 || fill_profile(trace, confdir) < 0)
		goto out;

	char *args[16 + WS_MAX_EXTRA];
	int n = 0;
	args[n++] = tshark ? "tshark" : "wireshark";
	args[n++] = "-d";
	args[n++] = "udp.port==664,rmcp";
	args[n++] = "-o";
	args[n++] = "esp.enable_encryption_decode:TRUE";
	args[n++] = "-o";
	args[n++] = "esp.enable_authentication_check:TRUE";
	args[n++] = "-X";
	args[n++] = lua_arg;
	args[n++] = "-r";
	args[n++] = (char *)trace;
	for (int i = extra; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	int st = run_viewer(args, confdir);
	if (st != 0)
		fprintf(stderr, "rmcpsec wireshark: %s exited with status %d\n", args[0], st);
	rc = st == 0 ? EXIT_PASS : EXIT_USAGE;
out:
	rm_tree(root);
	return rc;
}

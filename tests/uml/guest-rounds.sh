# Standard guest driver (docs/uml.md): h1/h2 pair, then one g_round per folder
# UMLWORK/rounds/* in name order. Exit status 0 only if every round ran to its fence.
. "$UMLSRC/guest-lib.sh"
g_pair || exit 1
rc=0
for d in "$UMLWORK"/rounds/*/; do
	g_round "${d%/}" || { rc=1; break; }
done
exit $rc

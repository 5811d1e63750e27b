#!/bin/bash
# Builds bench_ns3 against Debian's libns3-dev (ns-3.37) with g++, outside the
# C-only CMake project. Usage: build.sh [OUT_DIR]; prints the binary's path.
# Rebuilds only when a source is newer than the binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/bench-ns3}
bin=$out/bench_ns3
mkdir -p "$out"
if [[ -x $bin && $bin -nt $here/bench_ns3.cc && $bin -nt $repo/sim/rng.c &&
	$bin -nt $repo/sim/rng.h && $bin -nt $here/build.sh ]]; then
	echo "$bin"
	exit 0
fi
# Debian's ns3-core.pc emits a stray "-I/usr\;" in --cflags; the headers are
# in /usr/include/ns3 anyway, so only --libs is taken from pkg-config.
libs=$(pkg-config --libs ns3-core)
gcc -std=c11 -O2 -D_DEFAULT_SOURCE -I"$repo" -c "$repo/sim/rng.c" -o "$out/rng.o"
# shellcheck disable=SC2086 # $libs is a list of flags
g++ -std=c++17 -O2 -I"$repo" "$here/bench_ns3.cc" "$out/rng.o" $libs -o "$bin"
echo "$bin"

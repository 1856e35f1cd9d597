#!/usr/bin/env bash
# bench/compare.sh: time sipscope against its peers on one capture, in one run.
#
#   go run ./internal/corpus -calls 50000 -seed 1 -o bench/bench.pcap
#   bench/compare.sh bench/bench.pcap
#
# Runs, one after the other on the same file (each RUNS times, default 3,
# and reports the median wall time):
#   walk       the floor: internal/recordwalk reads the file and walks its records
#   sipscope   sipscope analyze (calls, RTP, auth and diagnosis all on), all cores
#   sipscope-w1  the same with --workers 1: one decoding goroutine
#   tshark     tshark -q -z sip,stat -z rtp,streams
#   sngrep     sngrep -I FILE -N -q (when installed)
# and prints wall time, CPU time (user+system), packets per second of each,
# max RSS and the ratios to sipscope's times. CPU time is the steadier
# figure on a shared machine; wall time is what a user waits. Not for CI:
# on a large corpus tshark and sngrep take minutes.
set -euo pipefail

file=${1:?usage: bench/compare.sh CAPTURE}
runs=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

[ -x /usr/bin/time ] || { echo "compare.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
(cd "$root" && go build -o "$bin/sipscope" ./cmd/sipscope && go build -o "$bin/recordwalk" ./internal/recordwalk)

frames=$("$bin/recordwalk" "$file" | awk '{print $1}')
echo "capture: $file, $frames frames, $(du -m "$file" | cut -f1) MiB; $(nproc) cores; $runs run(s) each, median"

declare -A wall cpu rss
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # name command...
	local name=$1; shift
	local times=() cpus=() mem=0
	for ((i = 0; i < runs; i++)); do
		/usr/bin/time -f "%e %U %S %M" -o "$bin/time" "$@" >/dev/null 2>"$bin/err" || {
			echo "compare.sh: $name failed:" >&2; cat "$bin/err" >&2; return 1; }
		read -r t u s m <"$bin/time"
		times+=("$t")
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}')")
		((m > mem)) && mem=$m
	done
	wall[$name]=$(printf '%s\n' "${times[@]}" | median)
	cpu[$name]=$(printf '%s\n' "${cpus[@]}" | median)
	rss[$name]=$mem
}

measure walk "$bin/recordwalk" "$file"
measure sipscope "$bin/sipscope" analyze "$file"
measure sipscope-w1 "$bin/sipscope" analyze --workers 1 "$file"
names=(walk sipscope sipscope-w1)
if command -v tshark >/dev/null; then
	measure tshark tshark -q -n -r "$file" -z sip,stat -z rtp,streams
	names+=(tshark)
fi
if command -v sngrep >/dev/null; then
	measure sngrep sngrep -I "$file" -N -q
	names+=(sngrep)
fi

printf '\n%-11s %7s %7s %11s %11s %8s %9s %9s\n' tool wall_s cpu_s pkts/s pkts/cpu-s rss_MiB x_wall x_cpu
for n in "${names[@]}"; do
	awk -v n="$n" -v w="${wall[$n]}" -v c="${cpu[$n]}" -v f="$frames" -v r="${rss[$n]}" \
		-v rw="${wall[sipscope]}" -v rc="${cpu[sipscope]}" 'BEGIN {
		if (w <= 0) w = 0.005
		if (c <= 0) c = 0.005
		printf "%-11s %7.2f %7.2f %11.0f %11.0f %8.1f %8.2fx %8.2fx\n", n, w, c, f / w, f / c, r / 1024, w / rw, c / rc
	}'
done
echo
echo "x_wall: the tool's wall time over sipscope's; x_cpu: its CPU time over sipscope's."
echo "Above 1, sipscope is that many times faster; for walk, below 1: the share of sipscope's time"
echo "that reading the file takes."

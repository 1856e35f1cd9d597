#!/usr/bin/env bash
# bench/sameoutput.sh: check that two builds of sipscope give the same output.
#
#   git worktree add /tmp/old BASE && (cd /tmp/old && go build -o /tmp/sipscope-old ./cmd/sipscope)
#   go build -o /tmp/sipscope-new ./cmd/sipscope
#   bench/sameoutput.sh /tmp/sipscope-old /tmp/sipscope-new [EXTRA.pcap ...]
#
# For performance work, which must not change what sipscope says. Runs both
# binaries on every capture in testdata/ and ../shared/captures/public/ (when
# there), and on the extra files given (a generated corpus, say), with
# analyze, calls, rtp and diagnose (table and JSON, one worker and the
# default), auth (JSON, a tiny wordlist, a known password) and, for the first
# call of each capture, show, show --raw and ladder (text, Mermaid, SVG).
# Extra files, which may be large, get analyze and calls only. Prints each
# command whose outputs differ and exits 1 if any does.
set -uo pipefail

old=${1:?usage: bench/sameoutput.sh OLD-BINARY NEW-BINARY [EXTRA.pcap ...]}
new=${2:?usage: bench/sameoutput.sh OLD-BINARY NEW-BINARY [EXTRA.pcap ...]}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '1234\npassword\n1011\nsecret\nadmin\n' >"$tmp/words"

diffs=0 runs=0
same() { # command words..., the capture last
	runs=$((runs + 1))
	if ! cmp -s <("$old" "$@" 2>&1) <("$new" "$@" 2>&1); then
		echo "differ: sipscope $*"
		diffs=$((diffs + 1))
	fi
}

shopt -s nullglob
for f in "$root"/testdata/*.pcap* "$root"/../shared/captures/public/*.pcap*; do
	for cmd in "analyze" "analyze --format json" "analyze --workers 1 --format json" \
		"calls --format json" "rtp --format json" "diagnose --format json" \
		"auth --format json" "auth --wordlist $tmp/words --show-passwords" "auth --password 1011=1011"; do
		# shellcheck disable=SC2086 # cmd is words
		same $cmd "$f"
	done
	id=$("$old" calls --format json "$f" 2>/dev/null | sed -n 's/^ *"call_id": "\(.*\)",*$/\1/p' | head -1)
	[ -n "$id" ] || continue
	for cmd in "show" "show --raw" "ladder" "ladder --format mermaid" "ladder --format svg"; do
		# shellcheck disable=SC2086
		same $cmd --call "$id" "$f"
	done
done
for f in "$@"; do
	for cmd in "analyze" "analyze --format json" "calls --format json"; do
		# shellcheck disable=SC2086
		same $cmd "$f"
	done
done
echo "$runs commands, $diffs with different output"
[ "$diffs" -eq 0 ]

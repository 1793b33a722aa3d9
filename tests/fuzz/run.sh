#!/bin/bash
# Runs each libFuzzer binary given for FUZZ_SECONDS (default 15) on a scratch
# copy of its seed corpus, and prints "fuzz: N passed, N failed": a target
# fails when libFuzzer finds a crash, a leak or a sanitizer report.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-15}
pass=0 fail=0
for bin in "$@"; do
	name=$(basename "$bin" _fuzz)
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz $name: $bin was not built (make fuzz-build)"
		fail=$((fail + 1))
		continue
	fi
	work=$(mktemp -d /tmp/fuzz-$name.XXXXXX)
	seeds=()
	[ -d "tests/fuzz/${name}_corpus" ] && seeds=("tests/fuzz/${name}_corpus")
	# A target may write its own seeds (its source reads MVRUN_*_SEEDS=DIR:
	# it writes them there and exits).
	var=$(grep -aoE 'MVRUN_[A-Z]+_SEEDS' "tests/fuzz/${name}_fuzz.c" | head -n1)
	if [ -n "$var" ] && env "$var=$work/seeds" timeout 60 "$bin" >/dev/null 2>&1 &&
		[ -d "$work/seeds" ]; then
		seeds+=("$work/seeds")
	fi
	mkdir -p "$work/corpus"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" \
		"$work/corpus" "${seeds[@]}" >"$work/log" 2>&1; then
		runs=$(grep -aoE '#[0-9]+' "$work/log" | tail -n1)
		echo "ok   fuzz $name: ${secs}s, ${runs#\#} runs, no finding"
		pass=$((pass + 1))
		rm -rf "$work"
	else
		echo "FAIL fuzz $name: libFuzzer found something; log and artifacts in $work"
		tail -n 30 "$work/log" | sed 's/^/     | /'
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]

#!/bin/bash
# Runs each libFuzzer binary given on a scratch copy of its seed corpus and
# prints "fuzz: N passed, N failed": a target fails when libFuzzer finds a
# crash, a leak, a timeout or a sanitizer report, or when it stops making
# progress.
#
# Two budgets:
#   FUZZ_SECONDS=S   one run of S seconds per target (`make test`: 15)
#   FUZZ_RUNS=N      at least N executions per target (`make fuzz`: 10
#                    million), in chunks of FUZZ_CHUNK (2^18) runs that share
#                    the corpus. A watchdog kills a chunk whose log shows no
#                    new line for FUZZ_STALL seconds (default 300)
#                    and fails the target: a hang that libFuzzer's own
#                    per-input -timeout does not see (a lock, a spin between
#                    inputs) fails instead of stalling the run.
# FUZZ_JOBS=J runs J targets at once (default 1).
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-15}
runs_goal=${FUZZ_RUNS:-}
chunk=${FUZZ_CHUNK:-262144}
stall=${FUZZ_STALL:-300}
jobs=${FUZZ_JOBS:-1}
results=$(mktemp -d /tmp/fuzz-results.XXXXXX)
trap 'rm -rf "$results"' EXIT

# watch PID LOG: kills PID when LOG stops growing for $stall s. libFuzzer
# prints a status line at every power of two of its run count and at every
# new coverage, so within a chunk of 2^18 runs the longest silence is 2^17
# runs: 65 s at 2,000 runs/s, the slowest target here.
watch() {
	local pid=$1 log=$2 last="" same=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		local now
		now=$(wc -c <"$log" 2>/dev/null)
		if [ "$now" = "$last" ]; then
			same=$((same + 5))
			if [ "$same" -ge "$stall" ]; then
				echo "watchdog: no progress for ${stall}s" >>"$log.watchdog"
				kill -9 "$pid" 2>/dev/null
				return
			fi
		else
			same=0 last=$now
		fi
	done
}

# fuzz_once BIN WORK ARGS...: one libFuzzer process under the watchdog;
# its status is libFuzzer's, or 99 when the watchdog killed it.
fuzz_once() {
	local bin=$1 work=$2; shift 2
	"$bin" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" -print_final_stats=1 \
		"$@" >>"$work/log" 2>&1 &
	local pid=$!
	watch "$pid" "$work/log" &
	local wpid=$!
	wait "$pid" 2>/dev/null
	local rc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	[ -e "$work/log.watchdog" ] && return 99
	return "$rc"
}

# one_target BIN: runs it and writes "ok|FAIL LINE" to $results/NAME.
one_target() {
	local bin=$1 name
	name=$(basename "$bin" _fuzz)
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz $name: $bin was not built (make fuzz-build)" >"$results/$name"
		return
	fi
	local work
	work=$(mktemp -d "/tmp/fuzz-$name.XXXXXX")
	local seeds=()
	[ -d "tests/fuzz/${name}_corpus" ] && seeds=("tests/fuzz/${name}_corpus")
	# A target may write its own seeds (its source reads MVRUN_*_SEEDS=DIR:
	# it writes them there and exits).
	local var
	var=$(grep -aoE 'MVRUN_[A-Z]+_SEEDS' "tests/fuzz/${name}_fuzz.c" | head -n1)
	if [ -n "$var" ] && env "$var=$work/seeds" timeout 60 "$bin" >/dev/null 2>&1 &&
		[ -d "$work/seeds" ]; then
		seeds+=("$work/seeds")
	fi
	mkdir -p "$work/corpus"
	local start=$SECONDS total=0 rc=0 n
	if [ -z "$runs_goal" ]; then
		fuzz_once "$bin" "$work" -max_total_time="$secs" "$work/corpus" "${seeds[@]}"
		rc=$?
		n=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -oE '[0-9]+$' | tail -n1)
		total=${n:-0}
	else
		while [ "$total" -lt "$runs_goal" ]; do
			local want=$((runs_goal - total))
			[ "$want" -gt "$chunk" ] && want=$chunk
			fuzz_once "$bin" "$work" -runs="$want" "$work/corpus" "${seeds[@]}"
			rc=$?
			[ "$rc" = 0 ] || break
			n=$(grep -aoE 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -oE '[0-9]+$' | tail -n1)
			[ -n "$n" ] && [ "$n" -gt 0 ] || { rc=98; break; }
			total=$((total + n))
			# Later chunks start from the corpus, not the seeds.
			seeds=()
			: >"$work/log.keep"; tail -n 40 "$work/log" >"$work/log.keep"; mv "$work/log.keep" "$work/log"
		done
	fi
	local took=$((SECONDS - start))
	if [ "$rc" = 0 ]; then
		echo "ok   fuzz $name: ${took}s, $total runs ($((total / (took > 0 ? took : 1)))/s), no finding" >"$results/$name"
		rm -rf "$work"
	else
		local why="libFuzzer found something"
		[ "$rc" = 99 ] && why="watchdog: no progress for ${stall}s after $total runs"
		[ "$rc" = 98 ] && why="libFuzzer reported no executions"
		{
			echo "FAIL fuzz $name: $why; log and artifacts in $work"
			tail -n 30 "$work/log" | sed 's/^/     | /'
		} >"$results/$name"
	fi
}

running=0
for bin in "$@"; do
	one_target "$bin" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
pass=0 fail=0
for bin in "$@"; do
	name=$(basename "$bin" _fuzz)
	cat "$results/$name"
	if grep -q '^ok ' "$results/$name"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "fuzz: $pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]

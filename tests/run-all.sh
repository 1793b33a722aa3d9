#!/bin/bash
# make test: runs every suite that can run on this machine and ends with one
# line "N passed, N failed, N skipped". A suite that cannot run says why.
set -u
B=${B:-build}
cd "$(dirname "$0")/.."
passed=0 failed=0 skipped=0
declare -a failures=()

# Criterion binaries: add the counts from their "Synthesis" line.
# run_criterion NAME [WRAPPER...] BIN: BIN is the last argument.
run_criterion() {
	local name=$1 log; shift
	log=$(mktemp)
	echo "== $name: $*"
	# --verbose lists every test, and is the only place Criterion 2.4 names skips.
	# Colours (Criterion's, when a test host's console is a tty) would hide
	# the counts from the parsing below.
	"$@" --verbose --jobs 1 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g' | grep -av '^\[RUN \]' | tee "$log"
	local line
	line=$(grep -a 'Synthesis:' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		rm -f "$log"
		echo "== $name: no Criterion summary (crashed?)"
		failed=$((failed + 1)); failures+=("$name: no summary")
		return
	fi
	local t p f c s
	t=$(sed -n 's/.*Tested: \([0-9]*\).*/\1/p' <<<"$line")
	p=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' <<<"$line")
	f=$(sed -n 's/.*Failing: \([0-9]*\).*/\1/p' <<<"$line")
	c=$(sed -n 's/.*Crashing: \([0-9]*\).*/\1/p' <<<"$line")
	s=$(grep -ac '^\[SKIP\]' "$log")
	rm -f "$log"
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${c:-0}))
	skipped=$((skipped + ${s:-0}))
	[ "${f:-0}" = 0 ] && [ "${c:-0}" = 0 ] || failures+=("$name")
	: "$t"
}

# Shell suites print "SUITE: N passed, N failed, N skipped" as their last line.
# account NAME LOG RC: add a finished suite's counts from its log.
account() {
	local name=$1 log=$2 rc=$3 line
	line=$(grep -aE '^([a-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "== $name: no summary line (exit status $rc)"
		failed=$((failed + 1)); failures+=("$name: no summary (status $rc)")
		return
	fi
	local p f s
	local re='([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?'
	[[ $line =~ $re ]]
	p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]}
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		failures+=("$name")
		[ "$f" = 0 ] && failed=$((failed + 1))
	fi
}

run_suite() {
	local name=$1; shift
	local log
	log=$(mktemp)
	echo "== $name: $*"
	"$@" 2>&1 | tee "$log"
	account "$name" "$log" "${PIPESTATUS[0]}"
	rm -f "$log"
}

# The suites in the nested test host each keep one emulated CPU busy: they
# run in TEST_LANES lanes at once (default: this host's CPUs, at most 2),
# each lane taking the next suite not yet claimed, longest first. Their
# output streams with a "[NAME] " prefix; the counts are added in list order
# once all are done.
declare -a lane_names=() lane_cmds=()
lane_suite() {
	local name=$1; shift
	lane_names+=("$name")
	lane_cmds+=("$(printf '%q ' "$@")")
}
run_lanes() {
	local n=${TEST_LANES:-$(nproc)} dir i
	[ "$n" -gt 2 ] && n=2
	[ "$n" -lt 1 ] && n=1
	dir=$(mktemp -d)
	echo "== ${#lane_names[@]} test-host suites in $n lanes"
	for ((l = 0; l < n; l++)); do
		(
			for i in "${!lane_names[@]}"; do
				mkdir "$dir/claim.$i" 2>/dev/null || continue
				echo "== ${lane_names[$i]} (lane $l): ${lane_cmds[$i]}"
				: >"$dir/log.$i"
				eval "${lane_cmds[$i]}" >"$dir/log.$i" 2>&1 &
				local pid=$!
				tail -n +1 --pid=$pid -F "$dir/log.$i" 2>/dev/null | sed -u "s/^/[${lane_names[$i]}] /"
				wait $pid
				echo $? >"$dir/rc.$i"
				echo "== ${lane_names[$i]} done (status $(cat "$dir/rc.$i"))"
			done
		) &
	done
	wait
	for i in "${!lane_names[@]}"; do
		account "${lane_names[$i]}" "$dir/log.$i" "$(cat "$dir/rc.$i" 2>/dev/null || echo 1)"
	done
	rm -rf "$dir"
}

run_criterion unit "$B/unit-tests"
# The tiny-guest KVM tests run on this host's /dev/kvm (kvm_pvm runs them);
# with no /dev/kvm here at all they run in the test host instead of skipping.
if [ -c /dev/kvm ]; then
	run_criterion kvm "$B/kvm-tests"
else
	echo "== kvm: this host has no /dev/kvm: the KVM tests run in the test host"
	run_criterion kvm tests/vmhost/run -- "$B/kvm-tests"
fi
run_suite mvm-cli tests/boot/cli-tests.sh
run_suite oci-cli tests/oci/cli-tests.sh
run_suite setup tests/oci/setup-tests.sh
run_suite docs tests/oci/doc-tests.sh
run_suite vmhost tests/vmhost/selftest
run_suite fuzz tests/fuzz/run.sh build/fuzz/*_fuzz
# Kubernetes' path (cri): containerd's CRI plugin with a bridge CNI network.
# runc's exec (its baseline) lands outside the container in a chrooted test host.
crimods=()
for m in tun veth bridge sch_ingress cls_u32 act_mirred; do crimods+=(--module "$m"); done
# The guest's network (net): tap and tc redirect, and the engines' bridges and
# NAT; pods through podman and Docker (pod-e2e): the infra's bridge, the
# published port.
netmods=()
for m in tun veth sch_ingress cls_u32 act_mirred bridge br_netfilter nf_tables nft_compat nft_chain_nat \
	nft_masq nft_nat nft_ct xt_conntrack xt_MASQUERADE xt_addrtype xt_comment xt_mark xt_nat \
	xt_tcpudp xt_multiport; do netmods+=(--module "$m"); done
# Longest first, so that the lanes end together.
lane_suite escape tests/vmhost/run --module loop -- tests/box/escape-tests.sh
lane_suite e2e tests/vmhost/run --module tun -- tests/e2e/engines.sh
lane_suite cri tests/vmhost/run --switch-root "${crimods[@]}" -- tests/e2e/cri-tests.sh
lane_suite net tests/vmhost/run "${netmods[@]}" -- tests/e2e/net-tests.sh
lane_suite oci-process tests/vmhost/run --module tun -- tests/oci/process-tests.sh
lane_suite oci-lifecycle tests/vmhost/run --module tun -- tests/oci/lifecycle-tests.sh
lane_suite pod-e2e tests/vmhost/run "${netmods[@]}" -- tests/e2e/pod-engine-tests.sh
lane_suite oci-exec tests/vmhost/run --module tun -- tests/oci/exec-tests.sh
lane_suite box tests/vmhost/run -- tests/box/box-tests.sh
lane_suite boot tests/vmhost/run -- tests/boot/boot-tests.sh
lane_suite hostile tests/vmhost/run --module tun -- tests/box/hostile-tests.sh
lane_suite snap tests/vmhost/run -- tests/boot/snap-tests.sh
lane_suite oci-mount tests/vmhost/run --module tun -- tests/oci/mount-tests.sh
lane_suite oci-pod tests/vmhost/run --module tun -- tests/oci/pod-tests.sh
lane_suite oci-template tests/vmhost/run --module tun -- tests/oci/template-tests.sh
lane_suite mvinit-qemu tests/vmhost/run --module vhost_vsock -- guest-init/tests/qemu-container.py
lane_suite install tests/vmhost/run --module tun -- tests/e2e/install-tests.sh
lane_suite sec tests/vmhost/run -- tests/boot/sec-tests.sh
lane_suite bench-smoke tests/vmhost/run --module tun -- tests/bench/startup-smoke.sh
run_lanes

echo
[ ${#failures[@]} = 0 ] || printf 'failed suites: %s\n' "${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

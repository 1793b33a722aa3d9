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
run_suite() {
	local name=$1; shift
	local log
	log=$(mktemp)
	echo "== $name: $*"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local line
	line=$(grep -aE '^([a-z0-9-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	rm -f "$log"
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
run_suite boot tests/vmhost/run -- tests/boot/boot-tests.sh
run_suite sec tests/vmhost/run -- tests/boot/sec-tests.sh
run_suite snap tests/vmhost/run -- tests/boot/snap-tests.sh
run_suite box tests/vmhost/run -- tests/box/box-tests.sh
run_suite escape tests/vmhost/run --module loop -- tests/box/escape-tests.sh
run_suite hostile tests/vmhost/run --module tun -- tests/box/hostile-tests.sh
run_suite oci-lifecycle tests/vmhost/run --module tun -- tests/oci/lifecycle-tests.sh
run_suite oci-exec tests/vmhost/run --module tun -- tests/oci/exec-tests.sh
run_suite oci-process tests/vmhost/run --module tun -- tests/oci/process-tests.sh
run_suite oci-mount tests/vmhost/run --module tun -- tests/oci/mount-tests.sh
run_suite oci-template tests/vmhost/run --module tun -- tests/oci/template-tests.sh
run_suite e2e tests/vmhost/run --module tun -- tests/e2e/engines.sh
# Kubernetes' path: containerd's CRI plugin with a bridge CNI network. runc's
# exec (its baseline) lands outside the container in a chrooted test host.
crimods=()
for m in tun veth bridge sch_ingress cls_u32 act_mirred; do crimods+=(--module "$m"); done
run_suite cri tests/vmhost/run --switch-root "${crimods[@]}" -- tests/e2e/cri-tests.sh
run_suite install tests/vmhost/run --module tun -- tests/e2e/install-tests.sh
# The guest's network: tap and tc redirect, and the engines' bridges and NAT.
netmods=()
for m in tun veth sch_ingress cls_u32 act_mirred bridge br_netfilter nf_tables nft_compat nft_chain_nat \
	nft_masq nft_nat nft_ct xt_conntrack xt_MASQUERADE xt_addrtype xt_comment xt_mark xt_nat \
	xt_tcpudp xt_multiport; do netmods+=(--module "$m"); done
run_suite net tests/vmhost/run "${netmods[@]}" -- tests/e2e/net-tests.sh
run_suite mvinit-qemu tests/vmhost/run --module vhost_vsock -- guest-init/tests/qemu-container.py
run_suite bench-smoke tests/vmhost/run --module tun -- tests/bench/startup-smoke.sh

echo
[ ${#failures[@]} = 0 ] || printf 'failed suites: %s\n' "${failures[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

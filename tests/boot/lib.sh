# Shared helpers for the shell test suites. A suite sources this, calls
# `t_run NAME EXPECTED_STATUS -- CMD...` and `t_expect ...`, and ends with
# `t_summary SUITE`, which prints "SUITE: N passed, N failed, N skipped".
T_PASS=0 T_FAIL=0 T_SKIP=0
T_OUT=$(mktemp) T_ERR=$(mktemp)
trap 'rm -f "$T_OUT" "$T_ERR"' EXIT

# Run CMD with a time limit, keeping stdout in $T_OUT, stderr in $T_ERR and
# the status in $T_STATUS.
t_exec() {
	local limit=$1; shift
	timeout --kill-after=5 "$limit" "$@" >"$T_OUT" 2>"$T_ERR" </dev/null
	T_STATUS=$?
}

t_ok() { T_PASS=$((T_PASS + 1)); echo "ok   $1"; }
t_bad() {
	T_FAIL=$((T_FAIL + 1)); echo "FAIL $1: $2"
	echo "     --- status $T_STATUS; stdout:"; sed 's/^/     | /' "$T_OUT" | tail -n 20
	echo "     --- stderr:"; sed 's/^/     | /' "$T_ERR" | tail -n 20
}
t_skip() { T_SKIP=$((T_SKIP + 1)); echo "SKIP $1: $2"; }

# t_check NAME STATUS [out:REGEX|err:REGEX|!out:REGEX|!err:REGEX|errlines:N]...
# Checks the last t_exec against the expected status and patterns.
t_check() {
	local name=$1 want=$2; shift 2
	if [ "$T_STATUS" != "$want" ]; then
		t_bad "$name" "exit status $T_STATUS, expected $want"; return
	fi
	local c
	for c in "$@"; do
		case "$c" in
		out:*) grep -aqE -- "${c#out:}" "$T_OUT" || { t_bad "$name" "stdout lacks /${c#out:}/"; return; } ;;
		err:*) grep -aqE -- "${c#err:}" "$T_ERR" || { t_bad "$name" "stderr lacks /${c#err:}/"; return; } ;;
		!out:*) ! grep -aqE -- "${c#!out:}" "$T_OUT" || { t_bad "$name" "stdout has /${c#!out:}/"; return; } ;;
		!err:*) ! grep -aqE -- "${c#!err:}" "$T_ERR" || { t_bad "$name" "stderr has /${c#!err:}/"; return; } ;;
		errlines:*) [ "$(wc -l <"$T_ERR")" = "${c#errlines:}" ] || { t_bad "$name" "stderr has $(wc -l <"$T_ERR") lines, expected ${c#errlines:}"; return; } ;;
		*) t_bad "$name" "bad check $c"; return ;;
		esac
	done
	t_ok "$name"
}

t_summary() {
	echo "$1: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" = 0 ]
}

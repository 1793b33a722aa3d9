#!/bin/bash
# The man pages against the programs, on the host: mvrun(8) has every verb
# of `mvrun help` and, under each verb, every option of `mvrun VERB --help`
# and no option the verb lacks; every global option; mvm(8) has every option
# of `mvm --help` and documents none mvm lacks; both render without groff
# warnings. (mvm(8)'s seccomp counts are checked by tests/boot/cli-tests.sh.)
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVRUN=${MVRUN:-$PWD/build/mvrun}
MVM=${MVM:-$PWD/build/mvm}
W=$(mktemp -d /tmp/doc.XXXXXX)
trap 'rm -rf "$W" "$T_OUT" "$T_ERR"' EXIT

# flags TEXT: the long and short options named in TEXT (roff's \- undone),
# one a line, sorted.
flags() { sed 's/\\-/-/g' | grep -oE '(^|[ [,(|])--?[a-z][a-z-]*' | grep -oE -- '--?[a-z][a-z-]*' |
	grep -vE '^-[a-z]{2,}' | sort -u; }

# section PAGE VERB: the roff of VERB's entry in COMMANDS (from its ".B VERB"
# line to the next verb's).
verbs=$("$MVRUN" help | sed -n 's/^  \([a-z]*\) .*/\1/p')
section() {
	awk -v v="$2" -v all="$verbs" '
		BEGIN { n = split(all, a, "\n"); for (i = 1; i <= n; i++) isverb[a[i]] = 1 }
		/^\.SH / { if (on) exit; cmds = ($0 == ".SH COMMANDS") }
		cmds && /^\.B [a-z]+( |$)/ { split($0, w, " "); if (w[2] in isverb) { if (on) exit; on = (w[2] == v) } }
		on { print }' "$1"
}

missing=""
for v in $verbs; do
	grep -qE "^\.B $v( |$)" docs/mvrun.8 || missing="$missing $v"
done
[ -n "$verbs" ] && [ -z "$missing" ] &&
	t_ok "mvrun(8) lists every verb of mvrun help" || t_bad "mvrun(8) lists every verb of mvrun help" "missing:$missing"

bad=""
for v in $verbs; do
	[ "$v" = help ] && continue
	"$MVRUN" "$v" --help >"$W/help" 2>&1 || bad="$bad $v --help failed;"
	head -1 "$W/help" | grep -q "^usage: mvrun $v" || bad="$bad $v --help has no usage line;"
	[ "$v" = box ] && continue # box's own usage; its options are checked below
	sed -n '/^options:/,$p' "$W/help" | sed -E 's/^  (.*[^ ])  +.*/\1/' | flags >"$W/h"
	section docs/mvrun.8 "$v" | sed -n '/^\.RS/,/^\.RE/p' | grep -A1 '^\.TP' | grep '^\.B' | flags >"$W/m"
	d=$(diff "$W/h" "$W/m" | grep '^[<>]' | tr '\n' ' ')
	[ -z "$d" ] || bad="$bad $v: $d (< only in --help, > only in mvrun(8));"
done
[ -z "$bad" ] && t_ok "mvrun(8): each verb's options are those of its --help" ||
	t_bad "mvrun(8): each verb's options are those of its --help" "$bad"

"$MVRUN" box --help 2>&1 | flags >"$W/h"
sed -n '/^\.SH RUNNING UNTRUSTED CODE/,/^\.SH /p' docs/mvrun.8 | flags >"$W/m"
d=$(comm -23 "$W/h" "$W/m" | tr '\n' ' ')
[ -z "$d" ] && t_ok "mvrun(8) describes every option of mvrun box --help" ||
	t_bad "mvrun(8) describes every option of mvrun box --help" "missing: $d"

"$MVRUN" --help | sed -n '/^global options:/,$p' | flags >"$W/h"
sed -n '/^\.SH GLOBAL OPTIONS/,/^\.SH /p' docs/mvrun.8 | grep '^\.B' | flags >"$W/m"
d=$(comm -23 "$W/h" "$W/m" | tr '\n' ' ')
[ -z "$d" ] && t_ok "mvrun(8) has every global option of mvrun --help" ||
	t_bad "mvrun(8) has every global option of mvrun --help" "missing: $d"

"$MVM" --help 2>&1 | flags >"$W/h"
sed -n '/^\.SH OPTIONS/,/^\.SH EXIT/p' docs/mvm.8 | grep '^\.B' | flags >"$W/m"
d=$(diff "$W/h" "$W/m" | grep '^[<>]' | tr '\n' ' ')
[ -s "$W/h" ] && [ -z "$d" ] && t_ok "mvm(8)'s options are those of mvm --help" ||
	t_bad "mvm(8)'s options are those of mvm --help" "$d (< only in --help, > only in mvm(8))"

for page in mvrun mvm; do
	t_exec 20 groff -man -ww -z "docs/$page.8"
	t_check "$page(8) renders without warnings" 0 errlines:0
	t_exec 20 env MANWIDTH=80 man -l "docs/$page.8"
	t_check "man reads $page(8)" 0 "out:^NAME" errlines:0
done

# The README's architecture table against the tree: every source folder is
# named there, and every folder or file it names exists.
arch=$(sed -n '/^## Architecture/,/^## Building/p' README.md)
unnamed=""
for d in $(git ls-files vmm runtime-shim guest-init proto common | grep -E '\.[ch]$' | xargs -n1 dirname | sort -u); do
	grep -qF "$d/" <<<"$arch" || grep -qF "\`${d#*/}/" <<<"$arch" || unnamed="$unnamed $d"
done
[ -z "$unnamed" ] && t_ok "the README's architecture names every source folder" ||
	t_bad "the README's architecture names every source folder" "unnamed:$unnamed"
gone=""
for p in $(grep -oE '`(vmm|runtime-shim|guest-init|proto|common)/[a-z0-9_/.-]*`' <<<"$arch" | tr -d '`' | sort -u); do
	[ -e "$p" ] || gone="$gone $p"
done
[ -z "$gone" ] && t_ok "every path the README's architecture names exists" ||
	t_bad "every path the README's architecture names exists" "missing:$gone"

# The files the man pages name as "where" exist (a glob matches one at least).
gone=""
for p in $(sed 's/\\-/-/g' docs/mvrun.8 docs/mvm.8 |
	grep -oE '(vmm|runtime-shim|guest-init|proto|common|kernel-config)/[A-Za-z0-9_./*-]*[A-Za-z0-9*]' | sort -u); do
	compgen -G "$p" >/dev/null || gone="$gone $p"
done
[ -z "$gone" ] && t_ok "every source file the man pages name exists" ||
	t_bad "every source file the man pages name exists" "missing:$gone"

t_summary docs

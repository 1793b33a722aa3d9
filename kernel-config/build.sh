#!/bin/bash
# Usage: kernel-config/build.sh OUT
#
# Produces the guest kernel OUT (an uncompressed ELF vmlinux).
#  - KERNEL=path set: use that vmlinux (checked to be ELF), copied to OUT.
#  - Otherwise build Debian's linux-source-6.1 with `make tinyconfig` plus
#    kernel-config/mvrun.config, cached under
#    ${MVRUN_CACHE:-/var/cache/mvrun}/kernel/<key>/{vmlinux,.config}, where
#    key = sha256(fragment, this script, linux-source-6.1 version, gcc
#    version). A cache hit is silent and cheap; a miss takes ~7 min on 2 cores.
set -euo pipefail

die() { echo "mvrun: $*" >&2; exit 1; }

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: kernel-config/build.sh OUT"
out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
frag=$here/mvrun.config
self=$here/$(basename "${BASH_SOURCE[0]}")
tarball=/usr/src/linux-source-6.1.tar.xz

# Copy $1 to $out unless identical; atomic so a half-copied OUT never exists.
install_out() {
	cmp -s "$1" "$out" 2>/dev/null && return 0
	mkdir -p "$(dirname "$out")"
	cp "$1" "$out.tmp.$$"
	mv -f "$out.tmp.$$" "$out"
}

# --- KERNEL=path: a prebuilt vmlinux --------------------------------------
if [ -n "${KERNEL:-}" ]; then
	if [ ! -f "$KERNEL" ] || [ ! -r "$KERNEL" ] ||
		[ "$(head -c 4 "$KERNEL" 2>/dev/null | od -An -tx1 | tr -d ' \n')" != 7f454c46 ]; then
		die "KERNEL=$KERNEL: not an ELF vmlinux"
	fi
	install_out "$KERNEL"
	exit 0
fi

# --- cache lookup -------------------------------------------------------------
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed (run make deps)"
[ -r "$tarball" ] || die "$tarball missing (reinstall linux-source-6.1)"
gccver=$(gcc --version 2>/dev/null | head -n 1) || die "gcc not found (run make deps)"
key=$({
	sha256sum <"$frag"
	sha256sum <"$self"
	echo "linux-source-6.1 $srcver"
	echo "$gccver"
} | sha256sum | cut -c1-64)
cache=${MVRUN_CACHE:-/var/cache/mvrun}/kernel
dir=$cache/$key

if [ -f "$dir/vmlinux" ]; then
	install_out "$dir/vmlinux"
	exit 0
fi

# --- build --------------------------------------------------------------------
mkdir -p "$cache" || die "cannot create kernel cache $cache"
# One build at a time per cache; whoever waited may find the work done.
exec 9>"$cache/.lock"
if ! flock -n 9; then
	echo "kernel: waiting for another kernel build ($cache/.lock)"
	flock 9
fi
if [ -f "$dir/vmlinux" ]; then
	install_out "$dir/vmlinux"
	exit 0
fi

start=$SECONDS
# Holding the lock, any work or staging dir left over is from a dead build.
rm -rf "$cache"/work.* "$cache"/stage.*
work=$cache/work.$key.$$
src=$work/linux
log=$work/build.log
mkdir -p "$src"
: >"$log"

# Keep the caller's make state (jobserver, -s, CC=... overrides) away from kbuild.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS
export KBUILD_BUILD_USER=mvrun KBUILD_BUILD_HOST=mvrun
kmake() { make -C "$src" ARCH=x86_64 "$@"; }

fail() {
	echo "mvrun: kernel build failed: $*" >&2
	if [ -s "$log" ]; then
		echo "---- last 40 lines of $log ----" >&2
		tail -n 40 "$log" >&2
		echo "---- full log: $log" >&2
	fi
	exit 1
}

tar -xJf "$tarball" -C "$src" --strip-components=1 >>"$log" 2>&1 ||
	fail "cannot extract $tarball"
kver=$(kmake -s kernelversion 2>>"$log") || fail "cannot read kernel version"

{
	kmake tinyconfig &&
		(cd "$src" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m .config "$frag") &&
		kmake olddefconfig
} >>"$log" 2>&1 || fail "configuring linux-$kver"

# Every setting in the fragment must survive olddefconfig; Kconfig silently
# drops symbols whose dependencies are not met.
bad=$(awk '
	FNR == NR {
		if (match($0, /^CONFIG_[A-Za-z0-9_]+=/)) {
			have[substr($0, 1, RLENGTH - 1)] = substr($0, RLENGTH + 1)
		}
		next
	}
	{ sym = ""; want = "" }
	/^CONFIG_[A-Za-z0-9_]+=/ {
		sym = $0; sub(/=.*/, "", sym)
		want = $0; sub(/^[^=]*=/, "", want)
		sub(/[ \t]+(#.*)?$/, "", want)
	}
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ { sym = $2; want = "n" }
	sym != "" {
		got = (sym in have) ? have[sym] : "n"
		if (got != want) printf "  %s: want %s, got %s\n", sym, want, (got == "n" ? "not set" : got)
	}
' "$src/.config" "$frag")
if [ -n "$bad" ]; then
	echo "mvrun: kernel config: these settings of $frag did not take" >&2
	echo "(unmet dependency, or a choice/range overrode them):" >&2
	echo "$bad" >&2
	echo "full config: $src/.config" >&2
	exit 1
fi

# Compile in the background and report progress: one line redrawn in place
# on a terminal, a line every 30 s otherwise.
jobs=$(nproc 2>/dev/null || echo 2)
setsid make -C "$src" ARCH=x86_64 -j"$jobs" vmlinux >>"$log" 2>&1 &
pid=$!
trap 'kill -TERM -- -$pid 2>/dev/null; exit 130' INT TERM HUP

elapsed() { local s=$((SECONDS - start)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }
status() { printf 'kernel: building linux-%s (CC %d files, %s)' "$kver" \
	"$(grep -c '^  CC ' "$log" || true)" "$(elapsed)"; }
tty=0
[ -t 1 ] && tty=1
last=-30
while kill -0 "$pid" 2>/dev/null; do
	if [ $tty = 1 ]; then
		printf '\r\033[K%s' "$(status)"
	elif [ $((SECONDS - last)) -ge 30 ]; then
		last=$SECONDS
		echo "$(status)"
	fi
	sleep 1
done
rc=0
wait "$pid" || rc=$?
trap - INT TERM HUP
[ $tty = 1 ] && printf '\r\033[K'
[ $rc -eq 0 ] && [ -f "$src/vmlinux" ] || fail "make vmlinux exited with $rc"

# Install into the cache atomically: stage, then rename into place.
stage=$cache/stage.$key.$$
mkdir -p "$stage"
cp "$src/vmlinux" "$stage/vmlinux"
cp "$src/.config" "$stage/.config"
cp "$log" "$stage/build.log"
mv -T "$stage" "$dir" || fail "cannot install into $dir"
rm -rf "$work"
install_out "$dir/vmlinux"
echo "kernel: built linux-$kver in $(elapsed) -> $out ($(du -h "$out" | cut -f1), cached in $dir)"

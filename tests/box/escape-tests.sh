#!/bin/bash
# Guest escape suite: hostile code as root in the guest (busybox sh, and the
# static program tests/box/escape/attack.c) tries to reach files beside the
# virtio-fs shares. Needs a host that boots Linux under KVM: run it through
# tests/vmhost/run (make test does; add --module loop for the block-device case).
#
# Layout on the host, in a temp dir W:
#   W/rootfs   the root share (a copy of build/rootfs)
#   W/vol      a -v volume at /mnt/v
#   W/rovol    a :ro volume at /mnt/ro (must not change either)
#   W/secret, W/outside/secret2, W/outside/linktarget  files beside the shares
# Each secret holds a random token the guest is never told. An attack passes
# when no token appears in anything the guest printed, nothing outside the
# shares changed (names, types, modes, owners, sizes, link counts, inode
# numbers, mtimes, ctimes, symlink targets and contents of W outside the
# read-write shares, and the names in the host's /), and the attack ran to
# its end. A hard link the host itself plants inside a share is the host's
# choice and is not tested.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
MVRUN=${MVRUN:-$PWD/build/mvrun}
LIMIT=${ESCAPE_LIMIT:-180}
RACE_SECS=${ESCAPE_RACE_SECS:-5}

W=$(mktemp -d /tmp/escape.XXXXXX)
S=$(mktemp -d /tmp/escape-scratch.XXXXXX)
R=$W/rootfs V=$W/vol RO=$W/rovol
LOOPDEV= SWAPPER=
cleanup() {
	[ -n "$SWAPPER" ] && kill "$SWAPPER" 2>/dev/null
	[ -n "$LOOPDEV" ] && losetup -d "$LOOPDEV" 2>/dev/null
	rm -rf "$W" "$S" "$T_OUT" "$T_ERR"
}
trap cleanup EXIT

token() { echo "ESCAPE-$1-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"; }
TOK_SECRET=$(token secret) TOK_SECRET2=$(token secret2) TOK_LINK=$(token linktarget)
TOK_DISK=$(token disk)
TOKENS=("$TOK_SECRET" "$TOK_SECRET2" "$TOK_LINK" "$TOK_DISK")

cp -a build/rootfs "$R"
mkdir -p "$V" "$RO" "$W/outside"
echo "$TOK_SECRET" >"$W/secret"
echo "$TOK_SECRET2" >"$W/outside/secret2"
echo "$TOK_LINK" >"$W/outside/linktarget" # what a hard link attack would aim at
chmod 600 "$W/secret"
echo ro-inside >"$RO/f"
echo inside >"$V/file"

# Symlinks the host planted in the shares, pointing out: the guest resolves
# them in its own namespace, and the server must never follow them.
ln -s "$W/secret" "$V/hs-abs"
ln -s ../secret "$V/hs-rel"
ln -s "$W/outside" "$V/hs-dir"
ln -s ../outside "$V/hs-reldir"
ln -s "$W/outside/linktarget" "$V/hs-lt"
ln -s ../outside/linktarget "$V/hs-lt-rel"
ln -s / "$V/hs-root"
ln -s ../secret "$R/hs-up"
ln -s "$W" "$R/hs-w"

# The attack program, static, in the rootfs copy (and a host copy for the
# host-side swapper).
if ! musl-gcc -static -O2 -Wall -Wextra -pthread -o "$S/escape" tests/box/escape/attack.c 2>"$S/cc.log"; then
	cat "$S/cc.log"
	echo "escape: cannot build tests/box/escape/attack.c with musl-gcc"
	exit 1
fi
cp "$S/escape" "$R/bin/escape"

# A host block device whose contents are a secret, if loop devices exist.
if [ -e /dev/loop-control ] || modprobe loop 2>/dev/null; then
	yes "$TOK_DISK" | head -c 1048576 >"$S/disk.img"
	LOOPDEV=$(losetup -f --show "$S/disk.img" 2>/dev/null)
fi
# What the host's /dev/mem holds at 0xf0000 (the BIOS), to compare with what
# a device node in the share gives the guest.
MEMOFF=0xf0000
HOSTMEM=$(dd if=/dev/mem bs=64 skip=$((MEMOFF / 64)) count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')

# Names the attacks try at every level they reach: relative to W, W's
# parent, and absolute host paths (which mean nothing in the guest).
NAMES="secret outside/secret2 outside/linktarget secret2 linktarget $W/secret $W/outside/secret2"

snap() {
	{
		find "$W" -path "$R" -prune -o -path "$V" -prune -o \
			-printf '%p %y %m %U:%G %s %n %i %T@ %C@ %l\n'
		find "$W" -path "$R" -prune -o -path "$V" -prune -o -type f -exec sha256sum {} +
		ls -A / | sed 's/^/host-root: /'
	} | sort
}
snap >"$S/before"

# escape_case NAME [t_check patterns]... -- SCRIPT
# Runs SCRIPT with busybox sh in a guest with the three shares, then checks
# for leaked tokens and for changes outside the shares.
escape_case() {
	local name=$1; shift
	local checks=()
	while [ "$1" != -- ]; do checks+=("$1"); shift; done
	shift
	t_exec "$LIMIT" "$MVRUN" box -v "$V:/mnt/v" -v "$RO:/mnt/ro:ro" "$R" -- \
		sh -c "W='$W' NAMES='$NAMES'; $1
echo attack-done"
	[ -n "$ESCAPE_VERBOSE" ] && { echo "---- $name"; cat "$T_OUT" "$T_ERR"; }
	local tok leaked=
	for tok in "${TOKENS[@]}"; do
		grep -aqF -- "$tok" "$T_OUT" "$T_ERR" && leaked="$leaked ${tok%-*}"
	done
	snap >"$S/after"
	if [ -n "$leaked" ]; then
		t_bad "$name" "ESCAPE: the guest read$leaked"
	elif ! diff -u "$S/before" "$S/after" >"$S/diff"; then
		t_bad "$name" "ESCAPE: changed outside the shares: $(grep '^[-+][^-+]' "$S/diff" | head -10)"
	else
		t_check "$name" 0 'out:^attack-done$' "${checks[@]}"
	fi
	cp "$S/after" "$S/before" # a failure is charged to one case only
}

# The oracle itself: sharing W/outside on purpose must be caught, both the
# read and the write, or a pass below would mean nothing.
t_exec "$LIMIT" "$MVRUN" box -v "$W/outside:/mnt/leak" "$R" -- sh -c 'cat /mnt/leak/secret2; touch /mnt/leak/new'
snap >"$S/after"
if grep -aqF -- "$TOK_SECRET2" "$T_OUT" && ! diff -q "$S/before" "$S/after" >/dev/null; then
	t_ok "the checks catch a read and a write outside (W/outside shared on purpose)"
else
	t_bad "the checks catch a read and a write outside (W/outside shared on purpose)" "not caught"
fi
rm -f "$W/outside/new"
snap >"$S/before"

escape_case ".. from the root: cat /../secret, cd .. loops, openat/fd walks" \
	'out:^walk: [1-9][0-9]* opens tried' 'out:^chdir-walk: cwd /$' -- '
cat /../secret /../../secret ../../../secret /../outside/secret2 /../../outside/linktarget
cd /; for i in $(seq 30); do cd ..; done; pwd; ls -a
cat secret outside/secret2 ../secret ../outside/linktarget
echo PWNED >>/../secret; echo PWNED >../../outside/secret2; echo PWNED >/../../newfile
rm -f /../outside/secret2 ../../secret; mv /../secret /stolen
escape walk / $NAMES'

escape_case ".. from a -v mount and a :ro mount" \
	'out:^walk: [1-9][0-9]* opens tried' -- '
cd /mnt/v; for i in $(seq 30); do cd ..; done; pwd
cat /mnt/v/../secret /mnt/v/../../secret /mnt/v/../outside/secret2 /mnt/ro/../../rovol/../secret
cd /mnt/v; cat ../secret ../../secret ../../../outside/linktarget
echo PWNED >>/mnt/v/../secret; echo PWNED >>/mnt/ro/../../secret
escape walk /mnt/v $NAMES; escape walk /mnt/ro $NAMES'

escape_case "absolute symlinks out (ln -s /.., ln -s /, host paths), read and write" \
	'out:^walk: ' -- '
ln -s / /mnt/v/abs-root; ln -s /.. /mnt/v/abs-dotdot; ln -s /../.. /up
ln -s "$W" /mnt/v/abs-w; ln -s "$W/secret" /mnt/v/abs-secret; ln -s "$W/outside" /abs-outside
for l in /mnt/v/abs-root /mnt/v/abs-dotdot /up /mnt/v/abs-w /abs-outside; do
	cat $l/secret $l/../secret $l/outside/secret2 $l/secret2 $l/linktarget
	echo PWNED >>$l/secret; echo PWNED >>$l/linktarget; ls $l/ >/dev/null
done
cat /mnt/v/abs-secret; echo PWNED >/mnt/v/abs-secret
escape walk /mnt/v/abs-dotdot $NAMES'

escape_case "relative symlinks out (ln -s ../../..), read and write" -- '
ln -s ../../.. /mnt/v/rel; ln -s ../secret /mnt/v/rel-secret; ln -s ../../../../../secret /rel-secret
mkdir -p /mnt/v/x/y; ln -s ../../../../../.. /mnt/v/x/y/z; ln -s ../../outside /mnt/v/rel-outside
for p in /mnt/v/rel/secret /mnt/v/rel-secret /rel-secret /mnt/v/x/y/z/secret /mnt/v/x/y/z/outside/secret2 \
	/mnt/v/rel-outside/secret2 /mnt/v/rel-outside/linktarget; do
	cat $p; echo PWNED >>$p
done
cd /mnt/v/x/y/z && cat secret outside/secret2'

escape_case "symlinks the host planted in a share, pointing out (read, write, ls)" -- '
escape walk /mnt/v/hs-dir $NAMES; escape walk /mnt/v/hs-reldir $NAMES; escape walk /hs-w $NAMES
for l in /mnt/v/hs-* /hs-up /hs-w; do
	ls -la $l $l/ >/dev/null; cat $l $l/secret $l/secret2 $l/linktarget $l/../secret
	echo PWNED >>$l; echo PWNED >>$l/secret2; touch $l/new; chmod 777 $l; chown 1:1 $l
	touch -h $l; mv $l/secret2 /mnt/v/stolen2
done'

escape_case "/proc/self/fd, /proc/self/root, /proc/1/root, /dev/fd tricks" \
	'out:^procfd: .*opens tried' -- '
cat /proc/self/root/../secret /proc/1/root/../../secret /proc/self/cwd/../../secret
cd /proc/self/root/..; pwd; ls -a; cd /
exec 7</mnt/v; cat /proc/self/fd/7/../secret /dev/fd/7/../../outside/secret2; ls /proc/self/fd/7/..
ls -l /proc/1/fd /proc/self/fd >/dev/null
escape procfd /mnt/v $NAMES; escape procfd / $NAMES'

escape_case "symlink swapped during lookup, root share (dir <-> symlink to / and ../../..)" \
	'out:^swap: target /: [1-9][0-9]* swaps' 'out:^swap: target \.\./\.\./\.\.: [1-9][0-9]* swaps' \
	'out:^swap: saw d as a directory [1-9][0-9]* times, as a symlink [1-9]' -- "
mkdir -p /swp
escape swap /swp $RACE_SECS / \$NAMES; escape swap /swp $RACE_SECS ../../.. \$NAMES"

escape_case "symlink swapped during lookup, -v mount (dir <-> symlink to / and ../../..)" \
	'out:^swap: target /: [1-9][0-9]* swaps' 'out:^swap: target \.\./\.\./\.\.: [1-9][0-9]* swaps' \
	'out:^swap: saw d as a directory [1-9][0-9]* times, as a symlink [1-9]' -- "
mkdir -p /mnt/v/swp
escape swap /mnt/v/swp $RACE_SECS / \$NAMES; escape swap /mnt/v/swp $RACE_SECS ../../.. \$NAMES"

# The host side swaps too: a real symlink out sits in the share while the
# guest looks up through the name. Only the server's O_NOFOLLOW
# single-component lookups stand between the guest and W/outside here.
host_swap() {
	local target=$1 name=$2
	mkdir -p "$V/hsw"
	# Until it is killed after the case: a guest that boots slowly (a loaded
	# test host) must still find it swapping. The guest sees a new "d" only
	# when its 1 s entry cache lapses (the readers keep the dentry in use,
	# so dropping caches does not evict it): one look a second, so the
	# readers run 4 x RACE_SECS for both kinds to show up (a 5 s run saw
	# only one, now and then, on a loaded host).
	"$S/escape" swapper "$V/hsw" $((LIMIT + RACE_SECS)) "$target" >"$S/swapper.log" 2>&1 &
	SWAPPER=$!
	# The guest does not reliably see the host's swaps through fstatat
	# (its dentry for d can stay a symlink for the whole run while walks
	# through d/.. go through the directory), so the oracle here is that
	# the readers ran and the host swapped (below), not what fstatat saw.
	escape_case "$name" 'out:^reader: [1-9][0-9]* opens tried' -- "
escape reader /mnt/v/hsw $((RACE_SECS * 4)) secret2 linktarget ../secret2 \$NAMES"
	kill "$SWAPPER" 2>/dev/null; wait "$SWAPPER" 2>/dev/null; SWAPPER=
	[ -n "$ESCAPE_VERBOSE" ] && cat "$S/swapper.log"
	grep -qE '^swapper: target .*: [1-9][0-9]* swaps' "$S/swapper.log" ||
		{ T_STATUS=0; t_bad "$name: the host swapped" "$(cat "$S/swapper.log")"; }
	# The swapper leaves d and l in either order; neither is outside.
	rm -rf "$V/hsw"
}
host_swap "$W/outside" "host swaps a dir <-> absolute symlink out during guest lookups"
host_swap ../../outside "host swaps a dir <-> relative symlink out during guest lookups"

escape_case "hard links to files outside (ln, linkat follow/nofollow/AT_EMPTY_PATH//proc/self/fd)" \
	'out:^link: [0-9]+ links made' -- '
ln /mnt/v/hs-lt /mnt/v/h1; ln /../outside/linktarget /mnt/v/h2; ln /mnt/v/hs-lt-rel /mnt/v/h3
cat /mnt/v/h1 /mnt/v/h2; echo PWNED >>/mnt/v/h1
escape link /mnt/v /mnt/v/hs-lt /mnt/v/hs-lt-rel /mnt/v/hs-abs /../outside/linktarget \
	/mnt/v/../../outside/linktarget "$W/outside/linktarget" /proc/self/root/../outside/linktarget \
	/mnt/ro/f /mnt/v/file
escape link / /mnt/v/file /mnt/v/hs-lt /hs-up'
# No file in the shares may be the outside file (its link count is in the
# snapshot too; this names the culprit).
if [ -n "$(find "$R" "$V" -samefile "$W/outside/linktarget" 2>/dev/null)" ] ||
	[ -n "$(find "$R" "$V" -samefile "$W/secret" 2>/dev/null)" ]; then
	T_STATUS=0; t_bad "no file in a share is a link to a file outside" "$(find "$R" "$V" -samefile "$W/outside/linktarget")"
else
	t_ok "no file in a share is a link to a file outside"
fi

escape_case "rename races: directories moved (and out of a -v mount) while threads walk them" \
	'out:^renamerace: [1-9][0-9]* moves, [1-9][0-9]* EXDEV' -- "
escape renamerace /mnt/v $RACE_SECS \$NAMES; escape renamerace / 2 \$NAMES"

# Device nodes: mknod in a share may succeed (the guest is root in its VM),
# but opening one gives the guest's device, never the host's: the server
# never opens device nodes. KVM's ioctl must fail (the guest kernel has no
# KVM), /dev/mem-like nodes must not show the host's memory, and a node for
# the host's loop device must not show its contents.
devnodes="/mnt/v/mem /mnt/v/kvm /memroot /mnt/v/hmem /mnt/v/hkvm"
mknod "$V/hmem" c 1 1 && mknod "$V/hkvm" c 10 232
blk=
if [ -n "$LOOPDEV" ]; then
	blk="mknod /mnt/v/blk b $(stat -c '%t %T' "$LOOPDEV" | { read -r ma mi; echo $((16#$ma)) $((16#$mi)); })"
	mknod "$V/hblk" b $(stat -c '%t %T' "$LOOPDEV" | { read -r ma mi; echo $((16#$ma)) $((16#$mi)); })
	devnodes="$devnodes /mnt/v/blk /mnt/v/hblk"
fi
escape_case "device nodes in a share (mknod c 1 1, c 10 232, the host's loop device)" \
	'out:^devs: done' '!out:KVM-API=' ${HOSTMEM:+"!out:HEX=$HOSTMEM"} -- "
mknod /mnt/v/mem c 1 1; mknod /mnt/v/kvm c 10 232; mknod /memroot c 1 1; $blk
ls -l /mnt/v/mem /mnt/v/kvm /memroot
head -c 200 /mnt/v/blk; head -c 200 /mnt/v/hblk; head -c 64 /mnt/v/mem | od -An -tx1 | head -2
echo PWNED >/mnt/v/hblk; echo PWNED >/mnt/v/blk
escape devs $MEMOFF $devnodes"
if [ -z "$LOOPDEV" ]; then
	t_skip "a node for the host's loop device" "no loop devices on this host (tests/vmhost/run --module loop)"
fi
if [ -z "$HOSTMEM" ]; then
	t_skip "compare /dev/mem-like nodes with the host's memory" "cannot read the host's /dev/mem"
fi
rm -f "$V"/mem "$V"/kvm "$V"/hmem "$V"/hkvm "$V"/blk "$V"/hblk "$R/memroot"

# Privileges planted on the host through a share: mvrun box runs untrusted
# code, so no device node, set-id file or file capability may land.
escape_case "device nodes, set-id files and file capabilities on a share" 'out:^fcap: done' -- '
mknod /mnt/v/pnull c 1 3; mknod /mnt/v/ploop b 7 0; mknod /proot c 1 3; mkfifo /mnt/v/pfifo
cp /bin/busybox /mnt/v/psuid && chmod 4755 /mnt/v/psuid; cp /bin/busybox /mnt/v/psgid && chmod 2755 /mnt/v/psgid
touch /mnt/v/psuid2 && chown 0:0 /mnt/v/psuid2 && chmod 6711 /mnt/v/psuid2
mkdir /mnt/v/psgdir && chmod 2755 /mnt/v/psgdir && cp /bin/busybox /mnt/v/psgdir/inherits
escape fcap /mnt/v/psuid /mnt/v/pfifo /proot-missing
ls -ln /mnt/v'
planted=$(find "$V" \( -type b -o -type c -o \( -type f -perm /6000 \) \) -printf '%p %M\n' 2>&1
	ls -l "$R/proot" 2>/dev/null)
caps=$(python3 -c 'import os,sys
for p in sys.argv[1:]:
    try: os.getxattr(p, "security.capability"); print(p)
    except OSError: pass' "$V"/p* "$V/psgdir/inherits")
[ -p "$V/pfifo" ] && [ -z "$planted" ] && [ -z "$caps" ] &&
	t_ok "none of them landed on the host (a fifo did)" ||
	t_bad "none of them landed on the host (a fifo did)" "planted: $planted caps: $caps fifo: $(ls -l "$V/pfifo" 2>&1)"
rm -rf "$V"/p* "$R/proot"

escape_case "a :ro volume remounted rw, or its tag mounted again rw" \
	'err:Read-only file system' -- '
mount -o remount,rw /mnt/ro; echo PWNED >>/mnt/ro/f; touch /mnt/ro/new
tag=$(awk '"'"'$2 == "/mnt/ro" {print $1}'"'"' /proc/mounts)
mkdir -p /tmp/x; mount -t virtiofs "$tag" /tmp/x && { echo PWNED >>/tmp/x/f; mkdir /tmp/x/d; ln -s / /tmp/x/l; }
cat /tmp/x/f'

escape_case "forged file handles (open_by_handle_at, the \"shocker\")" \
	'out:^handles: [0-9]+ forged' -- '
escape handles /mnt/v $NAMES; escape handles / $NAMES'

escape_case "the classic chroot breakout stays in the guest" 'out:^chroot: ' -- '
escape chroot $NAMES'

t_summary escape

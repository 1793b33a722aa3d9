#!/bin/busybox sh
# /init of the nested test host (L1), run by busybox from the initramfs that
# tests/vmhost/run builds. It loads the modules, mounts the host tree (9p,
# read-only) under a tmpfs-backed overlay so CMD may write but nothing comes
# back, mounts the --rw shares, runs CMD chrooted into that tree with its
# output on the serial console, reports the exit status with a marker line
# and powers off. Per-run input is in /vmhost/ (second cpio archive):
#   marker  the unique marker word
#   cmd.sh  the bash script that sets the environment, cds and execs CMD
#   rw      one host directory per line, shared read-write as 9p tag rw<N>
#   tmpfs   one directory per line to cover with a fresh tmpfs
#   switchroot  present with --switch-root: CMD's root is the tree moved onto
#           / in a mount namespace of its own, not a chroot
export PATH=/bin
con=/dev/ttyS0

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >$con 2>&1

# No CR/LF translation on the console; the host side strips \r anyway.
stty -F $con -onlcr 2>/dev/null
marker=$(cat /vmhost/marker)

say() { echo "vmhost: L1: $*" >$con; }
die() {
	say "$*"
	echo "$marker fail" >$con
	sync
	poweroff -f
	sleep 60
}

while read -r ko; do
	insmod "/lib/modules/$ko" || die "insmod $ko failed"
done </lib/modules/load.order

p9=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /host /rw /newroot
mount -t 9p -o $p9,cache=loose,ro hostroot /host ||
	die "cannot mount the host tree (9p tag hostroot)"

# Writable view of the host tree; writes land in a tmpfs and are discarded.
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
if mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot 2>/dev/null; then
	R=/newroot
else
	say "overlayfs over 9p failed: the tree is read-only except the tmpfs mounts"
	R=/host
fi

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup 2>/dev/null || say "cannot mount cgroup2"
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
[ -e $R/dev/ptmx ] || ln -s pts/ptmx $R/dev/ptmx
[ -e $R/dev/fd ] || ln -s /proc/self/fd $R/dev/fd
while IFS= read -r d; do
	[ -d "$R$d" ] || continue
	case $d in /tmp | /var/tmp) m=1777 ;; *) m=0755 ;; esac
	mount -t tmpfs -o mode=$m tmpfs "$R$d" || say "cannot mount a tmpfs on $d"
done </vmhost/tmpfs
i=0
while IFS= read -r d; do
	mount -t 9p -o $p9,cache=mmap "rw$i" "$R$d" || die "cannot mount the --rw share $d"
	i=$((i + 1))
done </vmhost/rw

hostname vmhost 2>/dev/null
# A booted host has its loopback up: servers on 127.0.0.1 and on its own
# addresses (local traffic goes through lo) are reachable.
ip link set lo up || say "cannot bring lo up"
[ -c $R/dev/kvm ] || say "no /dev/kvm in the test host"

echo "$marker start" >$con
if [ -e /vmhost/switchroot ]; then
	# --switch-root: as switch_root would, in a mount namespace of CMD's own
	# (this init stays behind to power off), the tree moved onto / and
	# entered, so that the kernel does not count CMD as chrooted (a chrooted
	# process may not make a user namespace: runc with uidMappings).
	env -i /bin/unshare -m /bin/sh -c 'cd "$1" && mount --move . / && exec chroot . /bin/bash -c "$2"' \
		sh $R "$(cat /vmhost/cmd.sh)" </dev/null >$con 2>&1
else
	env -i /bin/chroot $R /bin/bash -c "$(cat /vmhost/cmd.sh)" </dev/null >$con 2>&1
fi
rc=$?
sync
echo "$marker exit $rc" >$con
poweroff -f
sleep 60

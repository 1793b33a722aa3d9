#!/bin/bash
# The container's mounts as runc makes them: mount points in a read-only
# root, bind options (data ignored, propagation applied), the config's
# mounts in its order with their sources and options, no procfs of the
# initramfs left for a user namespace to mount past. Each case runs
# under mvrun and, where the test host has runc, under runc too, with the
# same checks. Real guests boot here: run it through tests/vmhost/run.
cd "$(dirname "$0")/../.."
. tests/boot/lib.sh
OCI_NAME=ocimount . tests/oci/lib.sh

RUNC=$(command -v runc)

# both NAME BUNDLE ID STATUS CHECK...: `run` the bundle under mvrun, then
# under runc (with root.path swapped for its copy, PATH.runc, when there is
# one), and t_check each against STATUS and CHECKs. mvrun's state
# directory must be gone after the run.
both() {
	local name=$1 b=$W/$2 id=$3 want=$4; shift 4
	rt run --bundle "$b" "$id"
	t_check "$name" "$want" "$@"
	[ ! -e "$ROOT/$id" ] && t_ok "$name: run leaves no state behind" ||
		t_bad "$name: run leaves no state behind" "$(ls -la "$ROOT/$id")"
	if [ -z "$RUNC" ]; then t_skip "$name, under runc" "no runc here"; return; fi
	python3 - "$b/config.json" "$b.runc" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
if os.path.isdir(c["root"]["path"] + ".runc"):
    c["root"]["path"] += ".runc"
os.makedirs(sys.argv[2], exist_ok=True)
json.dump(c, open(sys.argv[2] + "/config.json", "w"))
PY
	t_exec "$LIMIT" "$RUNC" --root "$W/runc" run --bundle "$b.runc" "$id"
	t_check "$name, under runc" "$want" "$@"
}

# --- a read-only FROM scratch root: the mount points are made first --------
# Only one file, as in Kubernetes' pause image; /proc, /dev and /sys are
# made in the image (not /dev/pts, made in the /dev tmpfs), as runc does.
for r in scratch scratch.runc; do
	rm -rf "$W/$r"; mkdir "$W/$r"; cp build/rootfs/bin/busybox "$W/$r/busybox"
done
bundle s1 '["/busybox", "cat", "/proc/self/mounts"]' "
c['root'] = {'path': '$W/scratch', 'readonly': True}
"
both "a read-only root without mount points (FROM scratch)" s1 m1 0 \
	'out:^proc /proc proc ' 'out:^sysfs /sys sysfs ' 'out:^devpts /dev/pts devpts '
t_exec 10 diff <(cd "$W/scratch" && find . | sort) <(cd "$W/scratch.runc" && find . | sort)
t_check "and the image gets the mount points runc makes" 0 errlines:0

# Symlinks in the image resolve as runc's securejoin resolves them: inside
# the root, so a tmpfs on /data -> ../../../gone/deep is made and mounted at
# the root's /gone/deep; proc (and sysfs) want a real directory, so a /proc
# that is a symlink fails create, naming it, under both.
for r in scratch2 scratch2.runc; do
	rm -rf "$W/$r"; mkdir "$W/$r"; cp build/rootfs/bin/busybox "$W/$r/busybox"
	ln -s ../../../gone/deep "$W/$r/data"
done
bundle s1b '["/busybox", "grep", "-c", "^tmpfs /gone/deep tmpfs ", "/proc/self/mounts"]' "
c['root'] = {'path': '$W/scratch2', 'readonly': True}
c['mounts'].append({'destination': '/data', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['nosuid']})
"
both "a read-only root: a tmpfs through a symlink out of the root lands inside it" s1b m1b 0 'out:^1$'
t_exec 10 diff <(cd "$W/scratch2" && find . | sort) <(cd "$W/scratch2.runc" && find . | sort)
t_check "and the image gets the same mount points as under runc" 0 errlines:0
# A file bind through a dangling symlink, as an image's /etc/resolv.conf ->
# ../run/resolve/stub.conf: the file is made at the target, and bound there.
echo "nameserver 192.0.2.53" >"$W/resolv.conf"
for r in scratch4 scratch4.runc; do
	rm -rf "$W/$r"; mkdir -p "$W/$r/etc"; cp build/rootfs/bin/busybox "$W/$r/busybox"
	ln -s ../run/resolve/stub.conf "$W/$r/etc/resolv.conf"
done
bundle s1d '["/busybox", "cat", "/etc/resolv.conf"]' "
c['root'] = {'path': '$W/scratch4', 'readonly': True}
c['mounts'].append({'destination': '/etc/resolv.conf', 'type': 'bind', 'source': '$W/resolv.conf',
                    'options': ['rbind', 'ro']})
"
both "a read-only root: a file bind through a dangling symlink lands at its target" s1d m1d 0 \
	'out:^nameserver 192.0.2.53$'
t_exec 10 diff <(cd "$W/scratch4" && find . -type f | sort) <(cd "$W/scratch4.runc" && find . -type f | sort)
t_check "and the image gets the same empty file as under runc" 0 errlines:0
for r in scratch3 scratch3.runc; do
	rm -rf "$W/$r"; mkdir -p "$W/$r/real"; cp build/rootfs/bin/busybox "$W/$r/busybox"
	ln -s /real "$W/$r/proc"
done
bundle s1c '["/busybox", "true"]' "
c['root'] = {'path': '$W/scratch3', 'readonly': True}
"
both "a /proc that is a symlink fails create, as runc's" s1c m1c 1 \
	'err:must be mounted on (an )?ordinary directory'
[ ! -e "$W/scratch3/real/self" ] && t_ok "and nothing was mounted through it" ||
	t_bad "and nothing was mounted through it" "$(ls "$W/scratch3/real")"

# --- bind options: data is ignored, propagation applied in the guest --------
mkdir -p "$W/vol"
bundle s2 '["sh", "-c", "grep -E \" /v[12] \" /proc/self/mountinfo"]' "
c['mounts'].append({'destination': '/v1', 'type': 'bind', 'source': '$W/vol',
                    'options': ['rbind', 'mode=755', 'shared']})
c['mounts'].append({'destination': '/v2', 'type': 'bind', 'source': '$W/vol',
                    'options': ['rbind', 'uid=1', 'runbindable']})
"
both "bind options: data such as mode=755 is accepted, shared and unbindable are applied" s2 m2 0 \
	'out: /v1 .* shared:[0-9]+' '!out: /v1 .*unbindable' 'out: /v2 .* unbindable' '!out: /v2 .*shared:'
t_exec "$LIMIT" "$MVRUN" --root "$ROOT" --log "$W/m2.log" run --bundle "$W/s2" m2
grep -q 'mounts\[[0-9]*\]: bind mount option \\"mode=755\\" ignored (a bind mount takes no data)' "$W/m2.log" &&
	t_ok "and --log notes the data option a bind ignores" ||
	t_bad "and --log notes the data option a bind ignores" "$(cat "$W/m2.log")"

# --- the config's mounts, in its order, with their sources and options ------
# The mount table lists the config's mounts as runc's does (/dev/shm from
# "shm"); a config tmpfs keeps its options (noexec) and, as runc makes it,
# the mode of the directory it covers (the image's /tmp, and /mt's 2775,
# over the tmpfs's mode=); mvinit adds no /tmp or /run of its own (so a
# read-only root has a read-only /tmp); a read-only /dev has its nodes and
# links.
mkdir -p "$W/rootfs/mt"; chmod 2775 "$W/rootfs/mt"
cat >"$W/rootfs/mtable" <<'SH'
awk '{for (i = 7; $i != "-"; i++); print $5, $(i + 1), $(i + 2)}' /proc/self/mountinfo |
	grep -E "^/(proc|dev|dev/pts|dev/shm|dev/mqueue|sys|tmp|run) "
stat -c %A /tmp /mt
grep -c ' /tmp .*noexec' /proc/self/mountinfo
SH
bundle s3 '["sh", "/mtable"]' "
c['mounts'] = [m for m in c['mounts'] if m['type'] != 'cgroup']
c['mounts'].append({'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs',
                    'options': ['nosuid', 'noexec', 'nodev', 'mode=2777']})
c['mounts'].append({'destination': '/mt', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['mode=1777']})
"
both "the config's mounts in its order, each with its source and type, /tmp with its mode and options" s3 m3 0 \
	'out:^/proc proc proc$' 'out:^/dev tmpfs tmpfs$' 'out:^/dev/pts devpts devpts$' \
	'out:^/dev/shm tmpfs shm$' 'out:^/dev/mqueue mqueue mqueue$' 'out:^/sys sysfs sysfs$' \
	'out:^/tmp tmpfs tmpfs$' 'out:^drwxrwxrwt$' 'out:^drwxrwsr-x$' 'out:^1$' '!out:^/run '
rt run --bundle "$W/s3" m3; cp "$T_OUT" "$W/m3.mvrun"
if [ -n "$RUNC" ]; then
	t_exec "$LIMIT" "$RUNC" --root "$W/runc" run --bundle "$W/s3.runc" m3; cp "$T_OUT" "$W/m3.runc"
	t_exec 10 diff "$W/m3.mvrun" "$W/m3.runc"
	t_check "and the table is runc's, line for line" 0 errlines:0
fi

bundle s4 '["sh", "-c", "touch /tmp/x || echo tmp-ro; touch /run/x || echo run-ro; test -c /dev/null && test -L /dev/ptmx && echo dev-nodes; touch /dev/x || echo dev-ro"]' "
c['root']['readonly'] = True
for m in c['mounts']:
    if m['destination'] == '/dev':
        m['options'].append('ro')
"
both "a read-only root without a /tmp mount has a read-only /tmp; a read-only /dev has its nodes" s4 m4 0 \
	'out:^tmp-ro$' 'out:^run-ro$' 'out:^dev-nodes$' 'out:^dev-ro$'

# --- rbind,ro: only the top mount is read-only, as runc 1.1's ---------------
# What is mounted below the source stays as it is (writable here); "rro"
# would make it read-only too.
mkdir -p "$W/rosrc/sub"
mount -t tmpfs tmpfs "$W/rosrc/sub"
bundle s6 '["sh", "-c", "touch /ro/top || echo top-ro; touch /ro/sub/x && echo sub-rw"]' "
c['mounts'].append({'destination': '/ro', 'type': 'bind', 'source': '$W/rosrc', 'options': ['rbind', 'ro']})
"
both "rbind,ro: the top is read-only, a mount below its source stays writable" s6 m6 0 \
	'out:^top-ro$' 'out:^sub-rw$'
[ -e "$W/rosrc/sub/x" ] && [ ! -e "$W/rosrc/top" ] &&
	t_ok "rbind,ro: the write below landed in the host's submount, none in the top" ||
	t_bad "rbind,ro: the write below landed in the host's submount, none in the top" "$(ls -AR "$W/rosrc")"
umount "$W/rosrc/sub"

# --- the root as runc enters it: nothing of the initramfs's is left ---------
# runc pivots into the root and detaches the old one, so a process that
# makes a user namespace finds no procfs without the masked paths over it
# and cannot mount a fresh one (the kernel's mount_too_revealing). Mapping
# root in it takes CAP_SETFCAP (Linux 5.12). Under runc here the test host's
# chroot may refuse the user namespace itself.
bundle s5 '["sh", "-c", "unshare -Urmpf sh -c \"echo in-userns; mount -t proc proc /proc && echo fresh-proc || echo fresh-proc-refused\"; true"]' "
for s in ('bounding', 'effective', 'permitted'):
    c['process']['capabilities'][s].append('CAP_SETFCAP')
"
both "a process with a user namespace cannot mount a fresh procfs past the masked paths" s5 m5 0 \
	'!out:^fresh-proc$'
rt run --bundle "$W/s5" m5
t_check "and under mvrun the user namespace is made, the mount refused" 0 'out:^in-userns$' \
	'out:^fresh-proc-refused$'

t_summary oci-mount

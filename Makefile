# mvrun: `make` builds everything, `make test` runs everything, `make demo`
# boots a guest. Outputs go under build/. `make SAN=1 ...` builds the host
# code and unit tests with ASan and UBSan. `KERNEL=path` uses another vmlinux.

CC       ?= cc
B        := build
CFLAGS   := -std=gnu11 -Wall -Wextra -Werror -O2 -g -I. -Ibuild/gen -D_GNU_SOURCE -MMD -MP
LDFLAGS  :=
LDLIBS   := -pthread -lmnl -lseccomp
ifeq ($(SAN),1)
B        := build/san
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
MUSLCC   ?= musl-gcc
GCFLAGS  := -std=gnu11 -Wall -Wextra -Werror -Os -static -s -I. -D_GNU_SOURCE -isystem build/kheaders

# common/: helpers built into all three programs (mvm, mvrun, mvinit).
COMMON_SRC := $(wildcard common/*.c)
# Every .c or .h under a folder and its subfolders (not tests/ or mkcpio/).
srcs = $(sort $(shell find $(1) -name '*.$(2)' -not -path '*/tests/*' -not -path '*/mkcpio/*'))
VMM_SRC  := $(filter-out vmm/main.c,$(call srcs,vmm,c)) $(wildcard proto/*.c) $(COMMON_SRC)
VMM_OBJ  := $(VMM_SRC:%.c=$(B)/obj/%.o)
UNIT_SRC := $(sort $(shell find tests/unit -name '*.c'))
KVMT_SRC := $(wildcard tests/kvm/*.c)
SHIM_SRC := $(call srcs,runtime-shim,c)

INST_BIN := bin/mvrun
INST_LIBEXEC := libexec/mvrun/mvm
INST_DATA := lib/mvrun/vmlinux lib/mvrun/initramfs.cpio share/man/man8/mvrun.8 share/man/man8/mvm.8

.PHONY: install install-files uninstall deb all deps test unit-test kvm-test boot-test demo bench bench-boot bench-fs bench-net bench-userns clean kernel fuzz fuzz-build FORCE
all: deps $(B)/mvm build/mvinit build/initramfs.cpio build/vmlinux $(B)/mvrun build/rootfs.stamp

deps:
	@./mk/deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

# The SIGSYS handler names syscalls from a table made from the C library's
# own <sys/syscall.h>: [__NR_x] = "x", for every x it defines.
build/gen/sysnames.h: mk/sysnames.sh
	@mkdir -p build/gen
	CC="$(CC)" ./mk/sysnames.sh > $@.tmp && mv $@.tmp $@
$(B)/obj/vmm/sandbox/seccomp.o: build/gen/sysnames.h

# The build id a snapshot carries (vmm/snap/snap_vm.c): a hash of every
# source mvm is built from and the flags, so a snapshot is restored only by
# the mvm that wrote it. Rewritten only when it changes.
MVM_ID_SRC := $(sort $(VMM_SRC) vmm/main.c $(call srcs,vmm,h) $(wildcard proto/*.h common/*.h))
build/gen/mvm_build_id.h: $(MVM_ID_SRC) Makefile
	@mkdir -p build/gen
	@id=$$( (cat $(MVM_ID_SRC); echo '$(CC) $(CFLAGS)') | sha256sum | cut -c1-32); \
	  echo "#define MVM_BUILD_ID \"$$id\"" > $@.tmp; \
	  cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(B)/obj/vmm/snap/snap_vm.o: build/gen/mvm_build_id.h

$(B)/libmvm.a: $(VMM_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/mvm: $(B)/obj/vmm/main.o $(B)/libmvm.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# mvrun exec speaks the control protocol to mvm: it links the codec too.
$(B)/mvrun: $(SHIM_SRC:%.c=$(B)/obj/%.o) $(patsubst %.c,$(B)/obj/%.o,$(wildcard proto/*.c) $(COMMON_SRC))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ljansson -lseccomp

# The guest side is always a small static musl binary, never sanitized.
GINIT_SRC := $(call srcs,guest-init,c) $(wildcard proto/*.c) $(COMMON_SRC)
# musl-gcc sees no kernel headers; mvinit's rtnetlink code (net.c) takes the
# libc-independent uapi ones from linux-libc-dev.
build/kheaders.stamp:
	@mkdir -p build/kheaders
	ln -sfn /usr/include/linux build/kheaders/linux
	ln -sfn /usr/include/$$(gcc -print-multiarch)/asm build/kheaders/asm
	ln -sfn /usr/include/asm-generic build/kheaders/asm-generic
	@touch $@
build/mvinit: $(GINIT_SRC) $(call srcs,guest-init,h) $(wildcard proto/*.h common/*.h) build/kheaders.stamp
	@mkdir -p build
	$(MUSLCC) $(GCFLAGS) -o $@ $(GINIT_SRC)

build/mkcpio: guest-init/mkcpio/mkcpio.c
	@mkdir -p build
	$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -o $@ $<

build/initramfs.cpio: build/mvinit build/mkcpio guest-init/initramfs.list
	build/mkcpio guest-init/initramfs.list build > $@.tmp && mv $@.tmp $@

# The busybox rootfs that the demo and the tests run containers from.
build/rootfs.stamp: mk/rootfs.sh
	@mkdir -p build
	./mk/rootfs.sh build/rootfs && touch $@

# The kernel build is cached outside the tree, keyed by the config fragment
# and the source version; the script is a no-op when the key is unchanged.
build/vmlinux: FORCE
	@mkdir -p build
	@KERNEL="$(KERNEL)" ./kernel-config/build.sh $@
kernel: build/vmlinux

# The unit tests link every runtime-shim object but mvrun.c (main), and
# the parts of mvinit that run on any Linux, built for the host.
GINIT_UNIT_SRC := guest-init/ctl.c guest-init/process/relay.c guest-init/util.c
$(B)/unit-tests: $(UNIT_SRC:%.c=$(B)/obj/%.o) \
		 $(filter-out %/mvrun.o,$(SHIM_SRC:%.c=$(B)/obj/%.o)) \
		 $(GINIT_UNIT_SRC:%.c=$(B)/obj/%.o) $(B)/libmvm.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion -ljansson -lseccomp

$(B)/kvm-tests: $(KVMT_SRC:%.c=$(B)/obj/%.o) $(B)/libmvm.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# libFuzzer targets: tests/fuzz/NAME_fuzz.c, each linked with the VMM and
# proto sources built by clang. A seed corpus may live in tests/fuzz/NAME_corpus/.
# `make test` runs each for FUZZ_SECONDS (default 15); `make fuzz` until each
# has run FUZZ_RUNS inputs (default 10 million), under a watchdog.
FUZZ_SRC  := $(wildcard tests/fuzz/*_fuzz.c)
FUZZ_BINS := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)
FUZZ_LIB_SRC := $(VMM_SRC)
FUZZ_CFLAGS := -std=gnu11 -g -O1 -I. -Ibuild/gen -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_SRC) $(call srcs,vmm,h) $(wildcard proto/*.h common/*.h) build/gen/sysnames.h build/gen/mvm_build_id.h
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) -pthread -lmnl -lseccomp
# config_fuzz parses config.json and plans the VM, so it also links the
# runtime-shim sources but mvrun.c (main), and jansson.
FUZZ_SHIM_SRC := $(filter-out runtime-shim/cmd/mvrun.c,$(SHIM_SRC))
build/fuzz/config_fuzz: tests/fuzz/config_fuzz.c $(FUZZ_LIB_SRC) $(FUZZ_SHIM_SRC) \
			$(call srcs,vmm,h) $(call srcs,runtime-shim,h) $(wildcard proto/*.h common/*.h) build/gen/sysnames.h build/gen/mvm_build_id.h
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(FUZZ_SHIM_SRC) -pthread -ljansson -lmnl -lseccomp
# toml_fuzz: the TOML scanner and mvrun setup's editors.
build/fuzz/toml_fuzz: tests/fuzz/toml_fuzz.c runtime-shim/host/engines/toml.c runtime-shim/host/engines/setup_toml.c common/err.c \
			runtime-shim/host/engines/toml.h runtime-shim/host/engines/setup.h
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< runtime-shim/host/engines/toml.c runtime-shim/host/engines/setup_toml.c common/err.c
fuzz-build: deps $(FUZZ_BINS)
fuzz: fuzz-build
	@FUZZ_RUNS=$${FUZZ_RUNS:-10000000} FUZZ_JOBS=$${FUZZ_JOBS:-$$(nproc)} ./tests/fuzz/run.sh $(FUZZ_BINS)

# `make install` (PREFIX, DESTDIR as usual): mvrun in bin/, mvm in a private
# libexec/mvrun/, the guest kernel and initramfs in lib/mvrun/, man pages.
# The installed mvrun finds the others relative to itself (runtime-shim/host/paths.c).
# `make uninstall` removes exactly those files and the two private folders.
PREFIX  ?= /usr/local
DESTDIR ?=
install: all install-files
install-files:
	install -D -m 0755 build/mvrun $(DESTDIR)$(PREFIX)/bin/mvrun
	install -D -m 0755 build/mvm $(DESTDIR)$(PREFIX)/libexec/mvrun/mvm
	install -D -m 0644 build/vmlinux $(DESTDIR)$(PREFIX)/lib/mvrun/vmlinux
	install -D -m 0644 build/initramfs.cpio $(DESTDIR)$(PREFIX)/lib/mvrun/initramfs.cpio
	install -D -m 0644 docs/mvrun.8 $(DESTDIR)$(PREFIX)/share/man/man8/mvrun.8
	install -D -m 0644 docs/mvm.8 $(DESTDIR)$(PREFIX)/share/man/man8/mvm.8
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INST_BIN) $(INST_LIBEXEC) $(INST_DATA))
	-rmdir $(DESTDIR)$(PREFIX)/libexec/mvrun $(DESTDIR)$(PREFIX)/lib/mvrun 2>/dev/null
# `make deb`: build/mvrun_VERSION_ARCH.deb (mk/deb.sh).
deb: all
	@./mk/deb.sh

test: all $(B)/unit-tests $(B)/kvm-tests $(FUZZ_BINS) build/bench/qinit.cpio
	@B=$(B) ./tests/run-all.sh

unit-test: deps $(B)/unit-tests
	$(B)/unit-tests

demo: all
	@./tests/vmhost/run -- ./mk/demo.sh

# The startup-latency harness (bench/startup, bench/README.md): mvrun, runc,
# crun, and QEMU microvm and mvm booting the same kernel with qinit as the
# plain-microVM baseline. BENCH_N=30 runs, BENCH_ARGS more options. Results
# come back to bench/results/<date>-<host>/; bench/results/latest/startup.md
# is the one kept in git. Then bench/pod: a pod of two containers driven as
# containerd drives them, mvrun against runc (BENCH_POD_N pods, default 5;
# mvrun's members in the pod's VM), bench/results/latest/pod.md.
build/bench/qinit: bench/qinit.c proto/mvm_port.h
	@mkdir -p build/bench
	$(MUSLCC) $(GCFLAGS) -o $@ bench/qinit.c

build/bench/qinit.cpio: build/bench/qinit build/mkcpio bench/qinit.list build/rootfs.stamp
	cp build/rootfs/bin/busybox build/bench/busybox
	build/mkcpio bench/qinit.list build/bench > $@.tmp && mv $@.tmp $@

bench: all build/bench/qinit.cpio
	@mkdir -p bench/results
	@MVRUN_BENCH_HOST=$$(hostname) MVRUN_BENCH_HOSTLOAD="$$(cut -d' ' -f1-3 /proc/loadavg)" \
		./tests/vmhost/run --module tun --timeout 21600 --rw bench/results -- \
		./bench/startup $(if $(BENCH_N),-n $(BENCH_N)) $(BENCH_ARGS)
	@MVRUN_BENCH_HOST=$$(hostname) ./tests/vmhost/run --module tun --timeout 7200 --rw bench/results \
		-e POD_ENGINE_MVRUN -- ./bench/pod $(if $(BENCH_POD_N),-n $(BENCH_POD_N))

bench-boot: all
	@./tests/vmhost/run -- ./bench/boot

# iperf3 guest<->host through a veth namespace, mvrun against runc
# (BENCH_N runs of BENCH_NET_SECS s each, default 1 and 5). Results come back
# to bench/results/<date>-<host>/ (net.md, net.json) and bench/results/latest/net.md.
bench-net: all
	@mkdir -p bench/results
	@MVRUN_BENCH_HOST=$$(hostname) ./tests/vmhost/run --timeout 7200 --rw bench/results \
		-e BENCH_NET_SECS --module tun --module veth --module sch_ingress --module cls_u32 \
		--module act_mirred -- ./bench/net $(if $(BENCH_N),-n $(BENCH_N))

# `run` of /bin/true without and with a user namespace, mvrun against runc
# (BENCH_N rounds, default 5). Results come back to
# bench/results/<date>-<host>/ (userns.md, userns.json) and
# bench/results/latest/userns.md.
bench-userns: all
	@mkdir -p bench/results
	@MVRUN_BENCH_HOST=$$(hostname) ./tests/vmhost/run --timeout 7200 --rw bench/results \
		--module tun --switch-root -- ./bench/userns $(if $(BENCH_N),-n $(BENCH_N))

# Results come back to bench/results/<date>-<host>/ (fs.md, fs.json) and
# bench/results/latest/fs.md.
bench-fs: all
	@mkdir -p bench/results
	@./tests/vmhost/run --timeout 21600 --rw bench/results -- ./bench/fs $(if $(BENCH_N),-n $(BENCH_N))

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

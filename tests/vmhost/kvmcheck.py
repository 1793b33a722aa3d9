#!/usr/bin/env python3
"""Checks that /dev/kvm really runs guest code: API version 12, KVM_CREATE_VM,
one vCPU running a real-mode blob that writes a byte to an I/O port and halts.
Used by tests/vmhost/selftest inside the nested test host. Prints one line and
exits 0 on success."""
import ctypes
import fcntl
import mmap
import os
import struct
import sys

KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_GET_VCPU_MMAP_SIZE = 0xAE04
KVM_CREATE_VCPU = 0xAE41
KVM_SET_USER_MEMORY_REGION = 0x4020AE46
KVM_RUN = 0xAE80
KVM_GET_REGS = 0x8090AE81
KVM_SET_REGS = 0x4090AE82
KVM_GET_SREGS = 0x8138AE83
KVM_SET_SREGS = 0x4138AE84
KVM_EXIT_IO = 2
KVM_EXIT_HLT = 5

GUEST_BASE = 0x1000
# mov al, 0x4b; out 0x10, al; mov al, 0x56; out 0x10, al; hlt
CODE = bytes([0xB0, 0x4B, 0xE6, 0x10, 0xB0, 0x56, 0xE6, 0x10, 0xF4])


def main():
    kvm = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    api = fcntl.ioctl(kvm, KVM_GET_API_VERSION)
    if api != 12:
        sys.exit(f"kvmcheck: KVM_GET_API_VERSION = {api}, want 12")
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)

    mem = mmap.mmap(-1, 0x10000, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    mem[GUEST_BASE:GUEST_BASE + len(CODE)] = CODE
    addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    # struct kvm_userspace_memory_region: slot, flags, guest_phys_addr, memory_size, userspace_addr
    fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION, struct.pack("IIQQQ", 0, 0, 0, 0x10000, addr))

    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
    run_size = fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE)
    run = mmap.mmap(vcpu, run_size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    sregs = bytearray(312)
    fcntl.ioctl(vcpu, KVM_GET_SREGS, sregs)
    struct.pack_into("Q", sregs, 0, 0)   # cs.base
    struct.pack_into("H", sregs, 12, 0)  # cs.selector
    fcntl.ioctl(vcpu, KVM_SET_SREGS, bytes(sregs))
    regs = bytearray(144)
    fcntl.ioctl(vcpu, KVM_GET_REGS, regs)
    struct.pack_into("QQ", regs, 128, GUEST_BASE, 2)  # rip, rflags
    fcntl.ioctl(vcpu, KVM_SET_REGS, bytes(regs))

    out = bytearray()
    for _ in range(10):
        fcntl.ioctl(vcpu, KVM_RUN, 0)
        reason = struct.unpack_from("I", run, 8)[0]
        if reason == KVM_EXIT_IO:
            direction, size, port, count, off = struct.unpack_from("BBHIQ", run, 32)
            if direction != 1 or port != 0x10 or size != 1:
                sys.exit(f"kvmcheck: unexpected I/O exit dir={direction} port={port:#x} size={size}")
            out += run[off:off + size * count]
        elif reason == KVM_EXIT_HLT:
            break
        else:
            sys.exit(f"kvmcheck: unexpected exit reason {reason}")
    else:
        sys.exit("kvmcheck: the guest did not halt")
    if out != b"KV":
        sys.exit(f"kvmcheck: guest wrote {bytes(out)!r}, want b'KV'")
    print(f"kvmcheck: ok (API {api}, KVM_CREATE_VM, guest wrote {out.decode()} and halted)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every task of a kernel dump as drgn reads it: the reference the task
threads of gdbserver-vmcore are checked against (tests/gdb/real-tasks.py).

Usage: tasks_ref.py VMCORE VMLINUX > TASKS

drgn reads the dump and the vmlinux's DWARF itself (its own ELF and
libkdumpfile readers, its own page-table walk): nothing of ours is in the
path.  Prints one line per task,

    PID PPID CPU ST ONCPU TASK COMM

for every task for_each_task() finds (init_task's list and every thread
group) and each online CPU's idle task (on no list): PPID is
real_parent's tgid, CPU task_cpu(), ST task_state_to_char(), ONCPU the CPU
the task was running on (cpu_curr()) or "-", TASK the task_struct's
address in hex, COMM the rest of the line.  Exit status 0, or 1 with the
reason on stderr (drgn missing, dump or vmlinux unreadable).

32-bit kernels write no KERNELOFFSET into VMCOREINFO, and drgn then
places the vmlinux's symbols unrelocated.  Their offset is the dump's
SYMBOL(_stext) (VMCOREINFO as libkdumpfile reads it) minus the vmlinux's
_stext (its ELF symbol table): drgn gets the dump's VMCOREINFO with that
KERNELOFFSET added.
"""
import mmap
import struct
import sys


def elf_symbol(path, name):
    """The value of symbol NAME in the ELF file PATH's .symtab."""
    with open(path, "rb") as f, \
            mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        is64 = data[4] == 2
        end = "<" if data[5] == 1 else ">"
        shoff, = struct.unpack_from(end + ("Q" if is64 else "I"), data,
                                    0x28 if is64 else 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data,
                                              0x3a if is64 else 0x2e)
        shdr = end + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII")

        def section(i):   # sh_type, sh_offset, sh_size, sh_link, sh_entsize
            f = struct.unpack_from(shdr, data, shoff + i * shentsize)
            return f[1], f[4], f[5], f[6], f[9]

        want = name.encode() + b"\0"
        for i in range(shnum):
            typ, off, size, link, entsize = section(i)
            if typ != 2:  # SHT_SYMTAB
                continue
            stroff = section(link)[1]
            for o in range(off, off + size, entsize):
                if is64:
                    st_name, _, _, _, value, _ = struct.unpack_from(
                        end + "IBBHQQ", data, o)
                else:
                    st_name, value, _, _, _, _ = struct.unpack_from(
                        end + "IIIBBH", data, o)
                if data[stroff + st_name:stroff + st_name + len(want)] == want:
                    return value
    raise LookupError("no symbol %s in %s" % (name, path))


def vmcoreinfo_with_offset(vmcore, vmlinux):
    """The dump's VMCOREINFO, with KERNELOFFSET added when it has none;
    None when it has one (drgn reads it itself)."""
    import kdumpfile
    raw = bytes(kdumpfile.kdumpfile(vmcore).attr["linux.vmcoreinfo.raw"])
    info = dict(ln.split("=", 1) for ln in raw.decode().splitlines()
                if "=" in ln)
    if "KERNELOFFSET" in info:
        return None
    offset = int(info["SYMBOL(_stext)"], 16) - elf_symbol(vmlinux, "_stext")
    return raw + b"KERNELOFFSET=%x\n" % offset


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    try:
        import drgn
        from drgn.helpers.linux.cpumask import for_each_online_cpu
        from drgn.helpers.linux.pid import for_each_task
        from drgn.helpers.linux.sched import (cpu_curr, idle_task, task_cpu,
                                              task_state_to_char)
    except ImportError as e:
        print("tasks_ref.py: drgn is not importable by %s: %s"
              % (sys.executable, e), file=sys.stderr)
        return 1
    try:
        prog = drgn.Program(vmcoreinfo=vmcoreinfo_with_offset(sys.argv[1],
                                                              sys.argv[2]))
        prog.set_core_dump(sys.argv[1])
        prog.load_debug_info([sys.argv[2]])
    except Exception as e:  # drgn raises ValueError, OSError, drgn.Error
        print("tasks_ref.py: drgn cannot open %s with %s: %s: %s"
              % (sys.argv[1], sys.argv[2], type(e).__name__, e),
              file=sys.stderr)
        return 1
    running = {}
    idle = []
    for cpu in for_each_online_cpu(prog):
        running[cpu_curr(prog, cpu).value_()] = cpu
        idle.append(idle_task(prog, cpu))
    seen = set()
    for task in list(for_each_task(prog)) + idle:
        addr = task.value_()
        if addr in seen:    # init_task is CPU 0's idle task too
            continue
        seen.add(addr)
        print("%d %d %d %s %s 0x%x %s" % (
            task.pid.value_(), task.real_parent.tgid.value_(), task_cpu(task),
            task_state_to_char(task), running.get(addr, "-"), addr,
            task.comm.string_().decode(errors="replace")))
    return 0


if __name__ == "__main__":
    sys.exit(main())

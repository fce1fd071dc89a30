# The kernel log of a dump as drgn reads it from the printk buffer (its
# own reader of the dump and of the kernel's data structures, independent
# of gdbserver-vmcore), for the kernel's own panic backtrace: the serial
# console's copy can be garbled (the 8250 driver prints the panic while
# its interrupt handler, which ran sysrq-c, holds the port).
# Usage: python3 drgn-dmesg.py VMCORE VMLINUX
# 32-bit dumps have no KERNELOFFSET: as tasks_ref.py, drgn gets the dump's
# VMCOREINFO with one (its SYMBOL(_stext) minus the vmlinux's).
import os
import sys

import drgn
from drgn.helpers.linux.printk import get_dmesg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tasks_ref import vmcoreinfo_with_offset  # noqa


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: drgn-dmesg.py VMCORE VMLINUX\n")
        return 2
    prog = drgn.Program(vmcoreinfo=vmcoreinfo_with_offset(sys.argv[1],
                                                          sys.argv[2]))
    prog.set_core_dump(sys.argv[1])
    prog.load_debug_info([sys.argv[2]])
    sys.stdout.write(get_dmesg(prog).decode(errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

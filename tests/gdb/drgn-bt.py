# The function list of the crashed thread's stack trace, as drgn unwinds
# it (its own ORC and DWARF CFI unwinder, independent of gdb and of
# gdbserver-vmcore), one name per line: the frame's function (inline
# frames included), else its ELF symbol, else "??".
# Usage: python3 drgn-bt.py VMCORE VMLINUX [MODULE.ko...]
# (debug files of modules the dump has loaded, for their frames' names)
# Runs with bookworm's drgn 0.0.22 and trixie's 0.0.31.
import sys

import drgn


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: drgn-bt.py VMCORE VMLINUX [MODULE.ko...]\n")
        return 2
    prog = drgn.Program()
    prog.set_core_dump(sys.argv[1])
    prog.load_debug_info(sys.argv[2:])
    trace = prog.crashed_thread().stack_trace()
    for frame in trace:
        name = frame.name
        if name is None:
            try:
                name = frame.symbol().name
            except LookupError:
                name = "??"
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

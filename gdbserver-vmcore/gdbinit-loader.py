# gdbserver-vmcore: gdb's ORC unwinder for x86_64 kernel dumps served by
# gdbserver-vmcore (backtraces through interrupts, IRQ stacks and the
# kernel's entry code).  `make install` puts this file into gdb's system
# gdbinit directory, which gdb reads at every start (not with -nx), with
# the installed data directory filled in below.  The unwinder does
# nothing on any other target.  See gdbserver-vmcore(1), BACKTRACES.
import os

import gdb

_vmcore_orc = "@DATADIR@/vmcore-orc.py"
if os.path.isfile(_vmcore_orc):
    gdb.execute("source " + _vmcore_orc)

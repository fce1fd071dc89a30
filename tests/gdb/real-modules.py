# monitor modules on a real kdump, run by tests/gdb/run-real-tasks.sh with
# gdb's exec file in a Debian-like debug tree (tests/real/module-debug.sh)
# that also holds virtio_blk's debug module.  The module list must be the
# guest's, and the add-symbol-file command the server prints for
# virtio_blk must put its symbols where the guest had them: the guest
# recorded virtio_blk's base and its __this_module (/sys/module).
import os
import re
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, check_eq, check_in, check_match, finish, meta, run  # noqa

m = meta()
HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "gdbserver-vmcore", "vmcore-gdb.py")
out = run("monitor modules")
check_match("monitor help lists modules", r"^  modules ", run("monitor help"))
mods = re.findall(r"^(\w+) +(0x[0-9a-f]+) +(\d+) sections$", out, re.M)
if "NR_MODULES" in m:
    check_eq("monitor modules lists the guest's modules", len(mods),
             int(m["NR_MODULES"]))
check_match("monitor modules counts them", r"^%d modules; \.ko files looked "
            r"for under \S+/usr/lib/debug/lib/modules/%s$" % (len(mods),
                                                              m["KVER"]), out)
blk = [b for n, b, _ in mods if n == "virtio_blk"]
check_eq("virtio_blk's base is where the guest had it", blk,
         [m["VIRTIO_BLK_MODULE_ADDR"]])
cmd = re.search(r"^  (add-symbol-file (\S+/virtio_blk\.ko) .*)$", out, re.M)
if check("the command for virtio_blk names its debug file in the tree",
         cmd is not None, out):
    check("... which exists", os.path.isfile(cmd.group(2)), cmd.group(2))
    check_match("... and places .text at the base",
                r" -s \.text %s( |$)" % m["VIRTIO_BLK_MODULE_ADDR"],
                cmd.group(1))
    # The shipped helper runs that command (vmcore-gdb.py).
    gdb.execute("source " + HELPER)
    check_in("vmcore-modules refuses a module the dump does not have",
             "no module no_such_mod in the dump",
             run("vmcore-modules no_such_mod"))
    check_match("vmcore-modules virtio_blk loads it",
                r"^loaded 1 module\(s\): virtio_blk$",
                run("vmcore-modules virtio_blk"))
    check_eq("after it, __this_module is where the guest's /sys/module "
             "had it", "0x%x" % int(gdb.parse_and_eval(
                 "(unsigned long)&__this_module")),
             m["VIRTIO_BLK_THIS_MODULE"])
    check_match("the base is virtio_blk text",
                r" in section \.text of \S+/virtio_blk\.ko$",
                run("info symbol %s" % m["VIRTIO_BLK_MODULE_ADDR"]))
    check("the module's types come with it",
          int(gdb.parse_and_eval("sizeof(struct virtio_blk)")) > 0, "")
    check_in("the panic backtrace still reads", "sysrq_handle_crash",
             run("bt"))
finish()

# gdb commands for sessions on gdbserver-vmcore: what the server can only
# print (monitor modules, monitor info), done for you.
#
#   (gdb) source /usr/local/share/gdbserver-vmcore/vmcore-gdb.py
#   (gdb) vmcore-modules [NAME...]   load the modules' files (gdb already
#                                    has them as shared libraries unless
#                                    its sysroot is not "target:")
#   (gdb) vmcore-percpu-at-zero      x86_64 with KASLR: reload the vmlinux
#                                    with .data..percpu at 0, for Linux's
#                                    scripts/gdb ($lx_current() ...)
#
# See gdbserver-vmcore(1), MONITOR COMMANDS and LINUX'S GDB SCRIPTS.
import os
import re

import gdb

_ADD = re.compile(r"^  (add-symbol-file (\S+) .*)$", re.M)
_MODULE = re.compile(r"^(\S+) +0x[0-9a-f]+ +\d+ sections$", re.M)


def _monitor(cmd):
    return gdb.execute("monitor " + cmd, to_string=True)


class VmcoreModules(gdb.Command):
    """Load the debug files of the dumped kernel's modules.
Usage: vmcore-modules [NAME...]
Runs the add-symbol-file command that "monitor modules" prints for each
module (or each NAME) whose file the server found, so every section
lands where the kernel loaded it.  Modules gdb already has as shared
libraries (its default sysroot, "target:") are left as they are."""

    def __init__(self):
        super().__init__("vmcore-modules", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        want = set(gdb.string_to_argv(arg))
        out = _monitor("modules")
        if not _MODULE.search(out):
            raise gdb.GdbError(out.strip() or "monitor modules said nothing")
        loaded, missing, already = [], [], []
        have = set(o.filename for o in gdb.objfiles() if o.filename)
        names = [mo.group(1) for mo in _MODULE.finditer(out)]
        blocks = re.split(_MODULE, out)[1:]
        for name, body in zip(names, blocks[1::2]):
            if want and name not in want:
                continue
            add = _ADD.search(body)
            if add and "target:" + add.group(2) in have:
                already.append(name)
            elif add and os.path.isabs(add.group(2)) and \
                    os.path.isfile(add.group(2)):
                gdb.execute(add.group(1), to_string=True)
                loaded.append(name)
            else:
                missing.append(name)
        unknown = sorted(want - set(names))
        if unknown:
            raise gdb.GdbError("no module %s in the dump" % ", ".join(unknown))
        gdb.write("loaded %d module(s)%s%s%s\n" % (
            len(loaded), (": " + " ".join(loaded)) if loaded else "",
            ("; already shared libraries: " + " ".join(already))
            if already else "",
            ("; no debug file for: " + " ".join(missing)) if missing
            else ""))


class VmcorePercpuAtZero(gdb.Command):
    """Reload the vmlinux with its per-CPU section at 0 (x86_64 with KASLR).
Usage: vmcore-percpu-at-zero
Runs the two commands "monitor info" gives when kernel-style per-CPU
arithmetic (&var + __per_cpu_offset[cpu], as Linux's scripts/gdb do it)
is off by the KASLR offset; nothing to do otherwise."""

    def __init__(self):
        super().__init__("vmcore-percpu-at-zero", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        if arg.strip():
            raise gdb.GdbError("vmcore-percpu-at-zero takes no argument")
        mo = re.search(r"^per-cpu .*; in gdb: symbol-file, then "
                       r"(add-symbol-file \S+ -o 0x[0-9a-f]+ -s "
                       r"\.data\.\.percpu 0)$", _monitor("info"), re.M)
        if mo is None:
            gdb.write("the per-CPU section is where the kernel's arithmetic "
                      "needs it: nothing to do\n")
            return
        gdb.execute("symbol-file", to_string=True)
        gdb.execute(mo.group(1), to_string=True)
        gdb.write("reloaded: %s\n" % mo.group(1))


VmcoreModules()
VmcorePercpuAtZero()

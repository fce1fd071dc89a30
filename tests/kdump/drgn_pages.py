#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hash physical pages of a dump as drgn reads them.

Usage: drgn_pages.py DUMP... < PFNS

PFNS: one decimal pfn per line (further columns are ignored), as printed
by `cmppages --hash-sample`.  Prints "PFN HASH" per pfn, HASH being the
zlib crc32 and adler32 of the 4096-byte page as 16 hex digits, or "-" when
drgn cannot read the page (excluded, not in the dump, data missing): the
same format as `cmppages --hash-pfns`, so the two outputs can be diffed.
Several DUMPs are the files of a split dump set (makedumpfile --split):
drgn opens one file at a time, and each holds its own range of pfns; a
pfn is read from the file that has it ("PFN !differ" when two files have
it with different bytes).

drgn reads kdump-compressed files through libkdumpfile, and ELF files
with its own reader, both written independently of ours, so agreement is
a real second opinion.  No debug info is loaded: a physical read needs
only the dump.

Exit status: 0 when every page was attempted, 3 when drgn cannot open a
dump at all (the reason is printed on stdout as "# drgn cannot open ..."),
2 on usage errors.
"""
import sys
import zlib

PAGE = 4096


def page_hash(drgn, prog, pfn):
    try:
        data = prog.read(pfn * PAGE, PAGE, True)
    except drgn.FaultError:
        return "-"
    return "%08x%08x" % (zlib.crc32(data), zlib.adler32(data))


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        import drgn
    except ImportError as e:
        print("# drgn cannot open %s: drgn is not installed for %s (%s)"
              % (sys.argv[1], sys.executable, e))
        return 3
    progs = []
    for path in sys.argv[1:]:
        prog = drgn.Program()
        try:
            prog.set_core_dump(path)
        except Exception as e:  # drgn raises ValueError, OSError, drgn.Error
            print("# drgn cannot open %s: %s: %s" % (path, type(e).__name__,
                                                      e))
            return 3
        progs.append(prog)
    out = []
    for line in sys.stdin:
        fields = line.split()
        if not fields or not fields[0].isdigit():
            continue
        pfn = int(fields[0])
        got = set(page_hash(drgn, prog, pfn) for prog in progs) - {"-"}
        if len(got) > 1:
            out.append("%d !differ" % pfn)
        else:
            out.append("%d %s" % (pfn, got.pop() if got else "-"))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

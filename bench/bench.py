#!/usr/bin/env python3
"""Benchmarks for gdbserver-vmcore, each with its anchor in the same run.

1. Bulk read: `dump binary memory` of 256 MiB of the direct map through the
   server (pipe and TCP) vs gdb reading the same bytes from the ELF file
   natively (core-file), with gdb 13 (hex 'm' replies) and gdb 16 (binary
   'x' replies).  Target: at least half the native speed.
1b. Wrapped pipes: 64 MiB through `gdbserver-vmcore --wrap WRAPPER ...`
   (sh -c '...; true', which keeps gdb's stderr open as ssh, sudo and
   containers do, and a real ssh to an sshd on 127.0.0.1) vs the direct
   pipe, gdb 13 and 16; and 4 MiB through the wrappers without --wrap,
   to show what --wrap saves.  Target: at least 0.9x the direct pipe.
2. 100k small reads from a gdb Python loop: per-read time vs native.
3. Startup on a synthetic 64 GiB sparse dump with 1000 PT_LOADs: time from
   starting the server to its reply to the first '?' (gdb's first prompt
   needs nothing more from it).  Target: under 50 ms.
4. Server peak RSS (VmHWM) over the bulk read and on the sparse dump.
   Target: under 32 MiB.
5. kdump-compressed pages: random reads vs drgn (libkdumpfile), and the
   sequential rate vs decompression alone.
6. elfconv: a 512 MiB ELF64 i386 dump to ELF32 vs `cp --sparse=always` of
   the same file.  Target: at most 1.2x cp's time.
6b. The kdump-compressed writer: `elfconv --format kdump --compress ALG`
   (dump level 0) vs Debian 13's makedumpfile 1.7.6 `-c`/`-l`/`-z -d 0`
   on the same ELF vmcore, time (both followed by an fsync of the file,
   which elfconv does itself) and size; snappy, which that makedumpfile
   lacks, against none; and elfconv's peak RSS.
6c. Dump level 31 (libkernel/dumplevel.c behind the writer): `elfconv
   --format kdump --compress zstd|lzo --dump-level 31` vs makedumpfile
   1.7.6 `-z`/`-l -d 31` on the same vmcore: time (with sync), size and
   peak RSS, as ratios; the filter alone (tests/dlcheck); and on a
   synthetic 64 GiB machine (tests/gen/mkmemmap) the filter's and
   elfconv's time and peak RSS, which must fit a 256 MiB crashkernel.
7. Task threads: `thread apply all bt` over every task through the server
   (the vmlinux found by its build-id as gdb's exec file), with gdb 13 and
   gdb 16, each without and with the ORC unwinder (vmcore-orc.py, sourced
   as gdb's system gdbinit directory does for installed users), 5
   sessions of each, interleaved: the time from exec to gdb's first
   prompt (after `target remote`; target: at most +20% with the unwinder)
   and the backtraces after it, against drgn's stack_trace() of every
   task of the same dump (Debian 12's drgn 0.0.22, the anchor, target:
   at most 1.5x its time; Debian 13's 0.0.31 shown too), and crash's
   `foreach bt` (Debian 12's crash 8.0.2 reads no PID hash on 6.1
   kernels, so it finds only the tasks running on CPUs: its time is
   printed with the count it found); peak RSS of gdb and the server.
"""
import argparse
import os
import shutil
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time

BULK = 256 << 20
SMALL_READS = 100_000


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("bench: %s exited with %d:\n%s%s" % (" ".join(cmd),
                 r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r


def direct_map_start(vmcore):
    """Virtual start of the first direct-map PT_LOAD at least BULK long."""
    out = sh(["readelf", "-lW", vmcore]).stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            vaddr, memsz = int(f[2], 16), int(f[5], 16)
            if vaddr < 0xffffffff80000000 and memsz >= BULK:
                return vaddr
    sys.exit("bench: no direct-map PT_LOAD of %d MiB in %s" % (BULK >> 20, vmcore))


def timed_gdb(args, gdb="gdb"):
    t = time.perf_counter()
    sh([gdb, "-nx", "-batch"] + args)
    return time.perf_counter() - t


def gdb_version(gdb):
    return sh([gdb, "--version"]).stdout.split("\n")[0].split()[-1]


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def start_tcp_server(server, dump, keep=False):
    p = subprocess.Popen([server, "--listen", "127.0.0.1:0", dump] +
                         (["--keep-listening"] if keep else []),
                         stderr=subprocess.PIPE, text=True)
    said = []
    for line in p.stderr:
        said.append(line)
        m = re.search(r"listening on (\S+)", line)
        if m:
            return p, m.group(1)
    sys.exit("bench: server did not start (exit %s):\n%s"
             % (p.wait(), "".join(said)))


def bench_bulk(server, vmcore, tmp, gdb="gdb"):
    start = direct_map_start(vmcore)
    end = start + BULK
    dump_cmd = "dump binary memory %s/%%s 0x%x 0x%x" % (tmp, start, end)
    # Warm the page cache so both sides read from memory.
    subprocess.run(["cat", vmcore], stdout=subprocess.DEVNULL, check=True)
    native = min(timed_gdb(["-ex", "core-file " + vmcore,
                            "-ex", dump_cmd % "native"], gdb) for _ in range(2))
    pipe = min(timed_gdb(["-ex", "target remote | %s -q %s" % (server, vmcore),
                          "-ex", dump_cmd % "pipe"], gdb) for _ in range(2))
    # Keep the server alive after gdb leaves, to read its peak RSS.
    # CPU time of reaped children: gdb's after it exits, the server's
    # after it is reaped.  gdb's share is the floor any server can reach.
    p, where = start_tcp_server(server, vmcore, keep=True)
    c0 = cpu_children()
    tcp = timed_gdb(["-ex", "target remote " + where, "-ex", dump_cmd % "tcp"],
                    gdb)
    c1 = cpu_children()
    rss = peak_rss_kib(p.pid)
    p.terminate()
    p.wait()
    gdb_cpu, server_cpu = c1 - c0, cpu_children() - c1
    same = all(open("%s/%s" % (tmp, n), "rb").read() ==
               open("%s/native" % tmp, "rb").read() for n in ("pipe", "tcp"))
    ver = gdb_version(gdb)
    packet = "x" if int(ver.split(".")[0]) >= 16 else "m"
    print("bulk read of %d MiB of the direct map (dump binary memory), "
          "gdb %s ('%s' packets):" % (BULK >> 20, ver, packet))
    print("  native (gdb core-file)   %6.2f s  %7.1f MiB/s" % (native, 256 / native))
    print("  gdbserver-vmcore, pipe   %6.2f s  %7.1f MiB/s  = %.2fx native speed"
          % (pipe, 256 / pipe, native / pipe))
    print("  gdbserver-vmcore, TCP    %6.2f s  %7.1f MiB/s  = %.2fx native speed"
          % (tcp, 256 / tcp, native / tcp))
    print("  TCP run CPU: gdb %.2f s, server %.2f s; gdb's own work on"
          " the '%s' replies alone caps any server at %.2fx native"
          % (gdb_cpu, server_cpu, packet, native / gdb_cpu))
    print("  bytes identical: %s; server peak RSS %.1f MiB (target < 32)"
          % (same, rss / 1024))
    for n in ("native", "pipe", "tcp"):
        os.unlink("%s/%s" % (tmp, n))
    return start


WRAP_BULK = 64 << 20
UNWRAPPED = 4 << 20


def bench_wrap(server, vmcore, start, tmp, gdb, ssh):
    """Pipes through wrappers that keep gdb's stderr open, with and
    without --wrap, against the direct pipe; the same bytes each time."""
    def read(target, size, name, runs=3):
        cmd = "dump binary memory %s/%s 0x%x 0x%x" % (tmp, name, start,
                                                       start + size)
        return min(timed_gdb(["-ex", "target remote | " + target, "-ex", cmd],
                             gdb) for _ in range(runs))

    direct = "%s -q %s" % (server, vmcore)
    shell = "sh -c '%s -q %s; true'" % (server, vmcore)
    variants = [("direct pipe", direct),
                ("--wrap sh -c '...; true'", "%s --wrap %s" % (server, shell))]
    if ssh:
        variants.append(("--wrap ssh", "%s --wrap %s %s" % (server, ssh, direct)))
    subprocess.run(["cat", vmcore], stdout=subprocess.DEVNULL, check=True)
    times = [(label, read(t, WRAP_BULK, "w%d" % i))
             for i, (label, t) in enumerate(variants)]
    ref = open("%s/w0" % tmp, "rb").read()
    same = all(open("%s/w%d" % (tmp, i), "rb").read() == ref
               for i in range(1, len(variants)))
    print("wrapped pipes, %d MiB of the direct map, gdb %s:"
          % (WRAP_BULK >> 20, gdb_version(gdb)))
    for label, t in times:
        print("  %-26s %6.2f s  %7.1f MiB/s  = %.2fx the direct pipe%s"
              % (label, t, (WRAP_BULK >> 20) / t, times[0][1] / t,
                 "" if label == "direct pipe" else " (target >= 0.9x)"))
    # Without --wrap: far slower, so only 4 MiB.
    slow = [("sh -c '...; true' alone", shell)]
    if ssh:
        slow.append(("ssh alone", "%s %s" % (ssh, direct)))
    d4 = read(direct, UNWRAPPED, "d4")
    for label, t in slow:
        t4 = read(t, UNWRAPPED, "s4", 1)
        print("  %d MiB: %s %.2f s vs direct pipe %.2f s = %.2fx"
              % (UNWRAPPED >> 20, label, t4, d4, d4 / t4))
    print("  bytes identical: %s" % same)
    for f in os.listdir(tmp):
        if re.match(r"^(w\d+|d4|s4)$", f):
            os.unlink(os.path.join(tmp, f))


SMALL_SCRIPT = r'''
import gdb, time
inf = gdb.selected_inferior()
base = %d
n = %d
t = time.perf_counter()
for i in range(n):
    inf.read_memory(base + (i * 4104) %% (64 << 20), 8)
print("SMALL %%.9f" %% ((time.perf_counter() - t) / n))
'''


def bench_small(server, vmcore, start, tmp):
    script = os.path.join(tmp, "small.py")
    with open(script, "w") as f:
        f.write(SMALL_SCRIPT % (start, SMALL_READS))

    def per_read(target_args):
        out = sh(["gdb", "-nx", "-batch"] + target_args + ["-x", script]).stdout
        return float(re.search(r"SMALL (\S+)", out).group(1))

    native = per_read(["-ex", "core-file " + vmcore])
    pipe = per_read(["-ex", "target remote | %s -q %s" % (server, vmcore)])
    p, where = start_tcp_server(server, vmcore)
    tcp = per_read(["-ex", "target remote " + where])
    p.wait()
    print("%d small reads (8 bytes) from a gdb Python loop:" % SMALL_READS)
    print("  native (gdb core-file)   %6.1f us/read" % (native * 1e6))
    print("  gdbserver-vmcore, pipe   %6.1f us/read = %.1fx native time"
          % (pipe * 1e6, pipe / native))
    print("  gdbserver-vmcore, TCP    %6.1f us/read = %.1fx native time"
          % (tcp * 1e6, tcp / native))


def recv_packet(sock, buf):
    """Read until BUF holds a whole $...#xx packet; return (packet, rest)."""
    while True:
        m = re.search(rb"\$([^#]*)#[0-9a-fA-F]{2}", buf)
        if m:
            return m.group(1), buf[m.end():]
        chunk = sock.recv(65536)
        if not chunk:
            sys.exit("bench: server closed the connection")
        buf += chunk


def first_reply_time(server, dump):
    """Seconds from exec to the reply to '?' over a socketpair, and RSS."""
    ours, theirs = socket.socketpair()
    t = time.perf_counter()
    p = subprocess.Popen([server, "-q", dump], stdin=theirs, stdout=theirs,
                         stderr=subprocess.DEVNULL)
    theirs.close()
    buf, reply = b"", b""
    for pkt in (b"qSupported", b"QStartNoAckMode", b"?"):
        ours.sendall(b"$%s#%02x" % (pkt, sum(pkt) & 0xff))
        reply, buf = recv_packet(ours, buf)
        if pkt != b"?":
            ours.sendall(b"+")
    elapsed = time.perf_counter() - t
    rss = peak_rss_kib(p.pid)
    ours.sendall(b"$D#44")
    ours.close()
    p.wait()
    return elapsed, rss, reply


def bench_startup(server, mkvmcore, tmp):
    dump = os.path.join(tmp, "sparse.vmcore")
    sh([mkvmcore, "--sparse-segments", "1000", "--sparse-gib", "64", dump])
    # Anchor: starting a program that does nothing (fork+exec cost).
    t = time.perf_counter()
    for _ in range(20):
        subprocess.run(["true"], check=True)
    anchor = (time.perf_counter() - t) / 20
    times, rss, reply = [], 0, b""
    for _ in range(20):
        e, r, reply = first_reply_time(server, dump)
        times.append(e)
        rss = max(rss, r)
    times.sort()
    print("startup on a 64 GiB sparse dump with 1000 PT_LOADs (%d MiB on disk):"
          % (os.stat(dump).st_blocks * 512 >> 20))
    print("  to the reply to '?': median %.1f ms, max %.1f ms (target < 50); "
          "anchor exec of true(1): %.1f ms"
          % (times[len(times) // 2] * 1e3, times[-1] * 1e3, anchor * 1e3))
    print("  server peak RSS %.1f MiB (target < 32); stop reply %s"
          % (rss / 1024, reply.decode(errors="replace")))
    os.unlink(dump)


DRGN_READS = r"""
import sys, time, drgn
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
pfns = [int(l) for l in open(sys.argv[2])]
t = time.perf_counter()
for p in pfns:
    prog.read(p * 4096, 4096, True)
d = time.perf_counter() - t
t = time.perf_counter()
for p in pfns:
    pass
print("%.9f %.9f" % (d / len(pfns), (time.perf_counter() - t) / len(pfns)))
"""


def bench_kdump(build, vmcore, tmp):
    """Random and sequential page reads from a kdump-compressed dump."""
    rp = os.path.join(build, "bench", "readpages")
    kd = os.path.join(tmp, "vmcore.kdump")
    # The same dump as distributions save it: zlib, dump level 31.
    sh(["makedumpfile", "-c", "-d", "31", "--message-level", "0",
        vmcore, kd])
    pfns = os.path.join(tmp, "pfns")
    with open(pfns, "w") as f:
        f.write(sh([rp, "sample", kd, "5000", "1"]).stdout)
    # drgn is a Debian python3 module: the system interpreter has it.
    ours = min(float(sh([rp, "random", kd, pfns]).stdout.split()[0])
               for _ in range(3))
    drgn_runs = [sh(["/usr/bin/python3", "-c", DRGN_READS, kd, pfns]).stdout.split()
                 for _ in range(3)]
    drgn_t = min(float(r[0]) for r in drgn_runs)
    loop = min(float(r[1]) for r in drgn_runs)
    seq = max((sh([rp, "all", kd]).stdout.split() for _ in range(3)),
              key=lambda r: float(r[0]))
    limit = max((sh([rp, "inflate", kd]).stdout.split() for _ in range(3)),
                key=lambda r: float(r[0]))
    print("kdump-compressed (makedumpfile -c -d 31, %.1f MiB):"
          % (os.path.getsize(kd) / 2**20))
    print("  5000 random 4 KiB pages: libvmcore %.1f us/page; drgn "
          "(libkdumpfile) %.1f us/page (Python loop %.2f us of it) = %.2fx "
          "drgn's time" % (ours * 1e6, drgn_t * 1e6, loop * 1e6,
                           ours / drgn_t))
    print("  all %s pages in order: %s MB/s; decompression alone from "
          "memory: %s MB/s = %.2fx the limit"
          % (seq[1], seq[0], limit[0], float(seq[0]) / float(limit[0])))


def write_i386_elf64(path, size, seed=1):
    """An i386 dump in an ELF64 container, as kexec --elf64-core-headers
    writes it: 2 NT_PRSTATUS (144 bytes) and the VMCOREINFO note every
    kdump has (without it, opening the dump would scan it for the kernel's
    copy, as for a QEMU dump of a guest without -device vmcoreinfo), one
    PT_LOAD of SIZE bytes at physical 1 MiB; every 8th page zero, the
    rest pseudo-random."""
    import struct
    notes = b""
    for pid in (0, 100):
        desc = bytearray(144)
        struct.pack_into("<I", desc, 24, pid)
        notes += struct.pack("<III", 5, len(desc), 1) + b"CORE\0\0\0\0" + desc
    vmci = b"OSRELEASE=6.1.0-57-686-pae\nPAGESIZE=4096\n"
    vmci += bytes(-len(vmci) % 4)
    notes += struct.pack("<III", 11, len(vmci), 0) + b"VMCOREINFO\0\0" + vmci
    phoff, phnum = 64, 2
    notes_off = phoff + phnum * 56
    data_off = (notes_off + len(notes) + 4095) // 4096 * 4096
    eh = (b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8) +
          struct.pack("<HHIQQQIHHHHHH", 4, 3, 1, 0, phoff, 0, 0, 64, 56,
                      phnum, 0, 0, 0))
    ph = struct.pack("<IIQQQQQQ", 4, 0, notes_off, 0, 0, len(notes),
                     len(notes), 4)
    ph += struct.pack("<IIQQQQQQ", 1, 7, data_off, 0xc0100000, 0x100000,
                      size, size, 0)
    rnd = os.urandom(1 << 20)
    zero = bytes(4096)
    with open(path, "wb") as f:
        f.write(eh + ph + notes)
        f.seek(data_off)
        for mb in range(size >> 20):
            chunk = bytearray(rnd)
            chunk[0:8] = struct.pack("<Q", mb ^ seed)
            for pg in range(0, 256, 8):
                chunk[pg * 4096:(pg + 1) * 4096] = zero
            f.write(chunk)


def best_of(n, cmd):
    times = []
    for _ in range(n):
        t = time.monotonic()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.monotonic() - t)
    return min(times)


def bench_elfconv(build, tmp):
    """elfconv ELF64 -> ELF32 of a 512 MiB dump vs cp --sparse=always."""
    src = os.path.join(tmp, "i386-elf64.vmcore")
    write_i386_elf64(src, 512 << 20)
    conv = os.path.join(build, "elfconv")
    out = os.path.join(tmp, "out.elf32")
    cpout = os.path.join(tmp, "out.cp")
    subprocess.run(["cat", src], check=True, stdout=subprocess.DEVNULL)
    t_cp = best_of(3, ["sh", "-c", 'rm -f "$1"; cp --sparse=always "$0" "$1"',
                       src, cpout])
    # elfconv fsyncs its output before the rename (a dump must not be
    # half on disk after a crash); cp does not, so also time cp + fsync.
    t_cps = best_of(3, ["sh", "-c", 'rm -f "$1"; cp --sparse=always "$0" '
                        '"$1" && sync "$1"', src, cpout])
    t_conv = best_of(3, ["sh", "-c", 'rm -f "$1"; "$2" -q "$0" "$1"', src,
                         out, conv])
    hdr = open(out, "rb").read(5)
    assert hdr == b"\x7fELF\x01", "elfconv did not write ELF32"
    print("elfconv ELF64 -> ELF32, 512 MiB (1/8 zero pages): %.3f s; "
          "cp --sparse=always %.3f s, cp + sync of the file %.3f s: "
          "%.2fx cp, %.2fx cp + sync (target <= 1.2x)"
          % (t_conv, t_cp, t_cps, t_conv / t_cp, t_conv / t_cps))
    # The same on tmpfs, where fsync costs nothing: the conversion's own
    # work against cp's, without the disk.
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize > (2 << 30):
        d = tempfile.mkdtemp(dir=shm)
        try:
            ssrc = os.path.join(d, "src")
            shutil.copyfile(src, ssrc)
            sout, scp = os.path.join(d, "out"), os.path.join(d, "cp")
            t_cp2 = best_of(5, ["sh", "-c", 'rm -f "$1"; cp --sparse=always "$0" "$1"',
                                ssrc, scp])
            t_conv2 = best_of(5, ["sh", "-c", 'rm -f "$1"; "$2" -q "$0" "$1"',
                                  ssrc, sout, conv])
            print("  on tmpfs (fsync free): elfconv %.3f s, cp --sparse=always "
                  "%.3f s: %.2fx (target <= 1.2x)"
                  % (t_conv2, t_cp2, t_conv2 / t_cp2))
        finally:
            shutil.rmtree(d)


def bench_kdump_write(build, vmcore, tmp, mdf):
    """elfconv --format kdump vs makedumpfile -d 0, each compression."""
    conv = os.path.join(build, "elfconv")
    subprocess.run(["cat", vmcore], check=True, stdout=subprocess.DEVNULL)
    size_in = os.path.getsize(vmcore)
    print("kdump-compressed writer, dump level 0, %.0f MiB ELF vmcore "
          "(makedumpfile %s; both fsync their output):"
          % (size_in / 2**20, "1.7.6" if mdf else "absent"))
    for alg, flag in (("zlib", "-c"), ("lzo", "-l"), ("zstd", "-z"),
                      ("snappy", None), ("none", "")):
        ours = os.path.join(tmp, "w.kdump")
        t_ours = best_of(2, ["sh", "-c", 'rm -f "$1"; "$0" -q --format kdump '
                             '--compress "$2" "$3" "$1"', conv, ours, alg,
                             vmcore])
        s_ours = os.path.getsize(ours)
        line = "  %-6s elfconv %6.2f s %7.1f MiB" % (alg, t_ours, s_ours / 2**20)
        if mdf and flag is not None:
            theirs = os.path.join(tmp, "m.kdump")
            t_mdf = best_of(2, ["sh", "-c", 'rm -f "$1"; "$0" $2 -d 0 '
                                '--message-level 0 "$3" "$1" && sync "$1"',
                                mdf, theirs, flag, vmcore])
            s_mdf = os.path.getsize(theirs)
            os.unlink(theirs)
            line += ("; makedumpfile %s %6.2f s %7.1f MiB: time %.2fx, "
                     "size %.2fx" % (flag or "(raw)", t_mdf, s_mdf / 2**20,
                                     t_ours / t_mdf, s_ours / s_mdf))
        print(line)
        os.unlink(ours)
    rss = os.path.join(tmp, "rss")
    subprocess.run([sys.executable, "-c", RSS_WRAPPER, rss, conv, "-q",
                    "--format", "kdump", "--compress", "zstd", vmcore,
                    os.path.join(tmp, "w.kdump")], check=True)
    os.unlink(os.path.join(tmp, "w.kdump"))
    print("  elfconv --format kdump peak RSS %.1f MiB (zstd)"
          % (int(open(rss).read()) / 1024))


def peak_rss_of(tmp, cmd):
    """Run CMD; its wall time and peak RSS (KiB)."""
    rss = os.path.join(tmp, "rss")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", RSS_WRAPPER, rss] + cmd,
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, int(open(rss).read())


def bench_dump_level(build, vmcore, tmp, mdf):
    """elfconv --format kdump --dump-level 31 vs makedumpfile -d 31 on the
    same dump (time with sync, size, peak RSS), and the filter alone on a
    synthetic 64 GiB machine (tests/gen/mkmemmap)."""
    conv = os.path.join(build, "elfconv")
    dlcheck = os.path.join(build, "tests", "dlcheck")
    subprocess.run(["cat", vmcore], check=True, stdout=subprocess.DEVNULL)
    print("dump level 31 (libkernel/dumplevel.c + the kdump writer), "
          "makedumpfile %s, both synced:" % ("1.7.6" if mdf else "absent"))
    for alg, flag in (("zstd", "-z"), ("lzo", "-l")):
        ours = os.path.join(tmp, "d.kdump")
        t_ours = best_of(2, ["sh", "-c", 'rm -f "$1"; "$0" -q --format kdump '
                             '--compress "$2" --dump-level 31 "$3" "$1" && '
                             'sync "$1"', conv, ours, alg, vmcore])
        s_ours = os.path.getsize(ours)
        os.unlink(ours)
        _, r_ours = peak_rss_of(tmp, [conv, "-q", "--format", "kdump",
                                      "--compress", alg, "--dump-level",
                                      "31", vmcore, ours])
        os.unlink(ours)
        line = ("  %-4s elfconv %5.2f s %6.1f MiB RSS %5.1f MiB"
                % (alg, t_ours, s_ours / 2**20, r_ours / 1024))
        if mdf:
            theirs = os.path.join(tmp, "m.kdump")
            t_mdf = best_of(2, ["sh", "-c", 'rm -f "$1"; "$0" $2 -d 31 '
                                '--message-level 0 "$3" "$1" && sync "$1"',
                                mdf, theirs, flag, vmcore])
            s_mdf = os.path.getsize(theirs)
            os.unlink(theirs)
            _, r_mdf = peak_rss_of(tmp, [mdf, flag, "-d", "31",
                                         "--message-level", "0", vmcore,
                                         theirs])
            os.unlink(theirs)
            line += ("; makedumpfile %s %5.2f s %6.1f MiB RSS %5.1f MiB: "
                     "time %.2fx, size %.2fx, RSS %.2fx"
                     % (flag, t_mdf, s_mdf / 2**20, r_mdf / 1024,
                        t_ours / t_mdf, s_ours / s_mdf, r_ours / r_mdf))
        print(line)
    t, r = peak_rss_of(tmp, [dlcheck, "--level", "31", vmcore])
    print("  the filter alone (tests/dlcheck, with its own bookkeeping): "
          "%.2f s, peak RSS %.1f MiB" % (t, r / 1024))
    big = os.path.join(tmp, "big.vmcore")
    subprocess.run([os.path.join(build, "tests", "mkmemmap"), "--gib", "64",
                    "--free-percent", "99", big], check=True,
                   stdout=subprocess.DEVNULL)
    t, r = peak_rss_of(tmp, [dlcheck, "--level", "31", big])
    print("  synthetic 64 GiB machine (99%% free): filter %.2f s, peak RSS "
          "%.1f MiB" % (t, r / 1024))
    out = os.path.join(tmp, "big.kdump")
    t, r = peak_rss_of(tmp, [conv, "-q", "--format", "kdump", "--compress",
                             "zstd", "--dump-level", "31", big, out])
    print("  synthetic 64 GiB machine: elfconv --dump-level 31 %.2f s, "
          "peak RSS %.1f MiB (a 256 MiB crashkernel reservation holds it)"
          % (t, r / 1024))
    os.unlink(out)
    os.unlink(big)


DRGN_TASKS = r"""
import sys, time, drgn
from drgn.helpers.linux.pid import for_each_task
t0 = time.perf_counter()
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
t1 = time.perf_counter()
n = frames = 0
for task in for_each_task(prog):
    trace = prog.stack_trace(task)
    text = str(trace)          # symbolized, as gdb's bt prints it
    n += 1
    frames += len(trace)
t2 = time.perf_counter()
print("%.6f %.6f %d %d %s" % (t1 - t0, t2 - t1, n, frames, drgn.__version__))
"""

# The server under a parent that writes its peak RSS (KiB) to a file.
# gdb sends SIGTERM to the pipe's command when it closes the connection:
# the parent waits for the server (which ends at the pipe's EOF) instead
# of dying before it writes (a handler, not SIG_IGN, which the server
# would inherit).
RSS_WRAPPER = ("import resource, signal, subprocess, sys; "
               "signal.signal(signal.SIGTERM, lambda *a: None); "
               "subprocess.run(sys.argv[2:]); "
               "open(sys.argv[1], 'w').write(str(resource.getrusage("
               "resource.RUSAGE_CHILDREN).ru_maxrss))")
GDB_HWM = ("python print('VmHWM ' + [l for l in open('/proc/self/status') "
           "if l.startswith('VmHWM')][0].split()[1])")
# Marks printed by the gdb session: time.monotonic() is the system-wide
# CLOCK_MONOTONIC, so the session measures from the bench's spawn time.
GDB_PROMPT = ("python print('BENCH prompt %.6f %.6f' % (time.monotonic() - "
              "float(os.environ['BENCH_T0']), time.process_time()))")
GDB_BT0 = "python _bench = (time.monotonic(), time.process_time())"
GDB_BT1 = ("python print('BENCH bt %.6f %.6f' % (time.monotonic() - "
           "_bench[0], time.process_time() - _bench[1]))")
# How long vmcore-orc.py took to read the vmlinux's tables (at the first
# frame gdb asked it about: gdb 13 before its first prompt, gdb 16 in
# the first backtrace).
GDB_ORC = ("python import sys; _t = getattr(sys.modules['__main__'], "
           "'_UNWINDER', None); _t = _t and _t.tables and "
           "list(_t.tables.values())[0]; print('BENCH orc %.6f' % "
           "getattr(_t, 'load_seconds', -1))")
RUNS = 5


def gdb_tasks(gdb, server, vmcore, vmlinux, tmp, unwinder):
    """One gdb session on VMLINUX (relative, from its directory) with task
    threads found by build-id, loading UNWINDER (vmcore-orc.py) first if
    given, as gdb's system gdbinit directory does for installed users:
    the time from exec to the prompt after `target remote`, then
    `thread apply all bt`.  Returns a dict of figures and the output."""
    rss = os.path.join(tmp, "server.rss")
    # env -u: gdb 16 runs with the Debian 13 root's PYTHONHOME, which
    # the system python3 of the wrapper must not inherit.
    target = "target remote | env -u PYTHONHOME -u GCONV_PATH " \
        "/usr/bin/python3 -c \"%s\" %s %s -q " \
        "--threads tasks %s" % (RSS_WRAPPER, rss, server, vmcore)
    args = [gdb, "-nx", "-batch"]
    if unwinder:
        args += ["-iex", "source " + unwinder]
    args += ["-iex", "python import os, time", os.path.basename(vmlinux),
             "-ex", target, "-ex", GDB_PROMPT, "-ex", GDB_BT0,
             "-ex", "thread apply all bt", "-ex", GDB_BT1, "-ex", GDB_HWM]
    if unwinder:
        args += ["-ex", GDB_ORC]
    env = dict(os.environ, BENCH_T0="%.6f" % time.monotonic())
    r = sh(args, cwd=os.path.dirname(vmlinux), env=env)
    out = r.stdout
    fig = {}
    for key, n in (("prompt", 2), ("bt", 2), ("orc", 1)):
        m = re.search(r"^BENCH %s (.*)$" % key, out, re.M)
        if m:
            fig[key] = [float(x) for x in m.group(1).split()][:n]
    fig["threads"] = len(re.findall(r"^Thread \d+ \(Thread ", out, re.M))
    if not fig["threads"] or "prompt" not in fig or "bt" not in fig:
        sys.exit("bench: gdb printed no backtraces:\n%s%s"
                 % (out[-1000:], r.stderr[-2000:]))
    fig["frames"] = len(re.findall(r"^#\d+ ", out, re.M))
    fig["gdb_rss"] = int(re.search(r"^VmHWM (\d+)", out, re.M).group(1))
    # gdb does not wait for the pipe's command: give the wrapper time.
    for _ in range(100):
        if os.path.exists(rss) and os.path.getsize(rss):
            break
        time.sleep(0.05)
    with open(rss) as f:
        fig["srv_rss"] = int(f.read())
    os.unlink(rss)
    return fig


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def drgn_tasks(python, vmcore, vmlinux):
    """drgn's stack_trace() of every task: (load, traces, tasks, frames,
    version)."""
    r = sh([python, "-c", DRGN_TASKS, vmcore, vmlinux]).stdout.split()
    return float(r[0]), float(r[1]), r[2], r[3], r[4]


def verdict(ok):
    return "met" if ok else "NOT MET"


def loaded():
    """A note when other processes competed for the CPUs."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    return ("" if load < cpus else
            "  (load average %.1f on %d CPUs: other processes ran; every "
            "figure was measured under the same load, interleaved)\n"
            % (load, cpus))


def bench_tasks(server, dump_dir, tmp, gdbs, unwinder, drgn_pythons):
    """`thread apply all bt` through the server, with and without the ORC
    unwinder, against drgn's stack traces of every task of the same dump,
    all in this run: RUNS rounds, each running every drgn and every gdb
    session kind once, so load from other processes falls on all alike;
    best (min) figures judged, medians shown."""
    vmcore = os.path.join(dump_dir, "vmcore")
    with open(os.path.join(dump_dir, "meta.txt")) as f:
        vmlinux = re.search(r"^VMLINUX=(.*)$", f.read(), re.M).group(1)
    subprocess.run(["cat", vmcore, vmlinux], stdout=subprocess.DEVNULL,
                   check=True)
    note = loaded()
    drgn = {py: [] for py in drgn_pythons}
    runs = {(gdb, orc): [] for gdb in gdbs for orc in (False, True)}
    for gdb in gdbs:                                        # warm up
        gdb_tasks(gdb, server, vmcore, vmlinux, tmp, unwinder)
    for n in range(RUNS):
        for py in drgn_pythons:
            drgn[py].append(drgn_tasks(py, vmcore, vmlinux))
        # Every other round in the other order: a drift in the load
        # falls on both kinds alike.
        for gdb, orc in list(runs)[::-1 if n % 2 else 1]:
            runs[gdb, orc].append(gdb_tasks(gdb, server, vmcore, vmlinux,
                                            tmp, unwinder if orc else None))
    note = note or loaded()
    anchor = drgn_pythons[0]
    traces = {py: min(r[1] for r in drgn[py]) for py in drgn_pythons}
    print("task threads: `thread apply all bt` (vmlinux found as gdb's exec "
          "file), %d rounds, best (median):" % RUNS)
    for py in drgn_pythons:
        _, _, n, frames, ver = drgn[py][0]
        print("  drgn %s stack_trace() of every task: traces %.3f s (%.3f; "
              "%s tasks, %s frames; loading %.2f s)%s"
              % (ver, traces[py], median([r[1] for r in drgn[py]]), n,
                 frames, min(r[0] for r in drgn[py]),
                 ": the anchor" if py == anchor else ""))
    for gdb in gdbs:
        def best(orc, key, i=0):
            return min(r[key][i] for r in runs[gdb, orc])

        def med(orc, key, i=0):
            return median([r[key][i] for r in runs[gdb, orc]])

        p0, p1 = best(False, "prompt"), best(True, "prompt")
        b0, b1 = best(False, "bt"), best(True, "bt")
        with_, without = runs[gdb, True][0], runs[gdb, False][0]
        print("  gdb %s, %d tasks:" % (gdb_version(gdb), with_["threads"]))
        print("    to the first prompt: without the unwinder %.2f s (%.2f), "
              "with vmcore-orc.py %.2f s (%.2f): %+.1f%% (target <= +20%%): "
              "%s" % (p0, med(False, "prompt"), p1, med(True, "prompt"),
                      100 * (p1 / p0 - 1), verdict(p1 <= 1.2 * p0)))
        print("      gdb's CPU time to the prompt %.2f / %.2f s; the ORC "
              "tables read in %.3f s (%.3f)"
              % (best(False, "prompt", 1), best(True, "prompt", 1),
                 best(True, "orc"), med(True, "orc")))
        print("    thread apply all bt after the prompt: without %.3f s "
              "(%.3f; %d frames), with %.3f s (%.3f; %d frames); gdb's CPU "
              "time %.3f / %.3f s"
              % (b0, med(False, "bt"), without["frames"], b1, med(True, "bt"),
                 with_["frames"], best(False, "bt", 1), best(True, "bt", 1)))
        for py in drgn_pythons:
            t = traces[py]
            print("    backtraces vs drgn %s's: with the unwinder %.2fx "
                  "(medians %.2fx), without %.2fx%s"
                  % (drgn[py][0][4], b1 / t,
                     med(True, "bt") / median([r[1] for r in drgn[py]]),
                     b0 / t,
                     "; target <= 1.5x with it: %s" % verdict(b1 <= 1.5 * t)
                     if py == anchor else ""))
        print("    peak RSS gdb %.0f MiB, server %.1f MiB"
              % (max(r["gdb_rss"] for r in runs[gdb, True]) / 1024,
                 max(r["srv_rss"] for r in runs[gdb, True]) / 1024))
    sys.stdout.write(note)
    c_t, c_n, c_frames = crash_foreach_bt(vmcore, vmlinux, tmp)
    print("  anchor crash foreach bt: %.2f s in all (%d of the %d tasks, "
          "%d frames)" % (c_t, c_n, with_["threads"], c_frames))


def crash_foreach_bt(vmcore, vmlinux, tmp):
    """crash's `foreach bt` on the same dump: (best seconds of two, tasks
    it printed, frames)."""
    cmds = os.path.join(tmp, "crash.cmd")
    with open(cmds, "w") as f:
        f.write("foreach bt\nquit\n")
    best = None
    for _ in range(2):
        t = time.perf_counter()
        out = subprocess.run(["crash", "-s", vmlinux, vmcore, "-i", cmds],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, text=True,
                             check=True).stdout
        took = time.perf_counter() - t
        best = took if best is None else min(best, took)
    return (best, len(re.findall(r"^PID: ", out, re.M)),
            len(re.findall(r"^ *#\d+ \[", out, re.M)))


def main():
    sys.stdout.reconfigure(line_buffering=True)
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--dump-dir", required=True)
    ap.add_argument("--gdb16", help="gdb 16 (Debian 13's) for the second "
                    "client figures")
    ap.add_argument("--drgn-python", action="append", default=[],
                    help="a python3 with another drgn, for the task "
                    "figures (the system one, /usr/bin/python3, is the "
                    "anchor)")
    ap.add_argument("--only", help="run only this part (tasks)")
    ap.add_argument("--ssh", help="an ssh command (to 127.0.0.1) for the "
                    "--wrap figures")
    ap.add_argument("--makedumpfile", help="makedumpfile 1.7.6 (Debian "
                    "13's, with zstd) for the kdump writer figures")
    a = ap.parse_args()
    server = os.path.join(os.path.abspath(a.build), "gdbserver-vmcore")
    mkvmcore = os.path.join(a.build, "tests", "mkvmcore")
    vmcore = os.path.join(a.dump_dir, "vmcore")
    gdbs = ["gdb"] + ([a.gdb16] if a.gdb16 else [])
    unwinder = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "gdbserver-vmcore", "vmcore-orc.py")
    drgns = ["/usr/bin/python3"] + a.drgn_python
    with tempfile.TemporaryDirectory() as tmp:
        if a.only == "tasks":
            bench_tasks(server, a.dump_dir, tmp, gdbs, unwinder, drgns)
            return
        start = bench_bulk(server, vmcore, tmp)
        if a.gdb16:
            bench_bulk(server, vmcore, tmp, a.gdb16)
        for gdb in gdbs:
            bench_wrap(server, vmcore, start, tmp, gdb, a.ssh)
        bench_small(server, vmcore, start, tmp)
        bench_startup(server, mkvmcore, tmp)
        bench_kdump(a.build, vmcore, tmp)
        bench_elfconv(a.build, tmp)
        bench_kdump_write(a.build, vmcore, tmp, a.makedumpfile)
        bench_dump_level(a.build, vmcore, tmp, a.makedumpfile)
        bench_tasks(server, a.dump_dir, tmp, gdbs, unwinder, drgns)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Send sysrq-c to a QEMU guest through its serial console.

Usage: serial-sysrq.py SOCKET TIMEOUT

SOCKET is a QEMU chardev "socket,path=SOCKET,server=on,wait=off,telnet=on"
behind the guest's ttyS0.  Waits until the guest prints VMCORE-IRQ-READY,
then sends a telnet BREAK (IAC BRK: QEMU raises a break on the UART) and
'c': Linux's 8250 driver takes BREAK + key within 5 s as sysrq (with
CONFIG_MAGIC_SYSRQ_SERIAL and kernel.sysrq allowing it) and runs it in its
interrupt handler.  Sends them again (at most 3 times, 20 s apart) until
the kernel's panic line appears, then reads until QEMU closes the socket.
Exit status 0 when the panic was seen, 1 on timeout or error (with a
message).
"""
import socket
import sys
import time

IAC, BRK = 255, 243
READY = b"VMCORE-IRQ-READY"
PANIC = b"Kernel panic - not syncing: sysrq triggered crash"


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    path, timeout = sys.argv[1], float(sys.argv[2])
    deadline = time.monotonic() + timeout
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(path)
            break
        except OSError as e:
            if time.monotonic() > deadline:
                print("serial-sysrq: cannot connect to %s: %s" % (path, e),
                      file=sys.stderr)
                return 1
            time.sleep(0.1)
    s.settimeout(1)
    seen, sent, panicked = b"", 0, False
    last = 0.0
    while time.monotonic() < deadline:
        try:
            data = s.recv(4096)
        except socket.timeout:
            data = b""
        else:
            if not data:
                break                   # QEMU exited
        # Telnet option negotiation from QEMU is left in the text: only the
        # marker lines matter.
        seen = (seen + data)[-8192:]
        panicked = panicked or PANIC in seen
        if panicked or READY not in seen:
            continue
        # BREAK and 'c' must reach the driver within 5 s of each other
        # (SYSRQ_TIMEOUT): on a very slow host, try again, 3 times.
        if sent < 3 and time.monotonic() - last > 20:
            time.sleep(0.5)             # the shell is in its sleep loop
            s.sendall(bytes([IAC, BRK]))
            time.sleep(0.3)
            s.sendall(b"c")
            sent += 1
            last = time.monotonic()
            print("serial-sysrq: sent BREAK c", file=sys.stderr)
    if not sent:
        print("serial-sysrq: the guest never printed %s within %.0f s"
              % (READY.decode(), timeout), file=sys.stderr)
        return 1
    if not panicked:
        print("serial-sysrq: no panic after %d BREAK c" % sent,
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

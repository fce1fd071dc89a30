#!/usr/bin/env python3
"""Send QMP commands to a QEMU monitor socket, one after another.

Usage: qmp.py SOCKET COMMAND [KEY=VALUE...] [-- COMMAND [KEY=VALUE...]]...

Each COMMAND is a QMP "execute" name; KEY=VALUE pairs are its arguments
(true/false become booleans, decimal numbers integers, anything else a
string).  Example:

    qmp.py qmp.sock dump-guest-memory paging=false protocol=file:/x/vmcore \\
        -- quit

Waits up to QMP_CONNECT_TIMEOUT seconds (default 30) for the socket and up
to QMP_TIMEOUT seconds (default 600) for each reply.  Progress goes to
stderr; exits 1 on the first error reply.  Python standard library only.
"""
import json
import os
import socket
import sys
import time


def die(msg):
    sys.stderr.write("qmp: ERROR: %s\n" % msg)
    sys.exit(1)


def parse_value(v):
    if v in ("true", "false"):
        return v == "true"
    if v.isdigit():
        return int(v)
    return v


def parse_commands(argv):
    cmds, cur = [], None
    for a in argv:
        if a == "--":
            cur = None
        elif cur is None:
            cur = {"execute": a}
            cmds.append(cur)
        elif "=" in a:
            k, v = a.split("=", 1)
            cur.setdefault("arguments", {})[k] = parse_value(v)
        else:
            die("argument %r of %s is not KEY=VALUE" % (a, cur["execute"]))
    return cmds


def connect(path, timeout):
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError as e:
            s.close()
            if time.monotonic() > deadline:
                die("cannot connect to %s: %s" % (path, e))
            time.sleep(0.2)


class Monitor:
    def __init__(self, sock):
        self.f = sock.makefile("rwb", buffering=0)

    def read(self):
        """The next message that is not an event, or None at EOF."""
        while True:
            line = self.f.readline()
            if not line:
                return None
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, cmd):
        self.f.write(json.dumps(cmd).encode() + b"\n")
        reply = self.read()
        if reply is None:
            if cmd["execute"] == "quit":
                return {}
            die("%s: QEMU closed the monitor" % cmd["execute"])
        if "error" in reply:
            die("%s: %s" % (json.dumps(cmd), reply["error"].get("desc")))
        return reply.get("return")


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmds = parse_commands(sys.argv[2:])
    sock = connect(sys.argv[1],
                   float(os.environ.get("QMP_CONNECT_TIMEOUT", "30")))
    sock.settimeout(float(os.environ.get("QMP_TIMEOUT", "600")))
    mon = Monitor(sock)
    greeting = mon.read()
    if not greeting or "QMP" not in greeting:
        die("no QMP greeting on %s" % sys.argv[1])
    mon.execute({"execute": "qmp_capabilities"})
    for cmd in cmds:
        t = time.monotonic()
        mon.execute(cmd)
        sys.stderr.write("qmp: %s done in %.1f s\n" % (
            " ".join([cmd["execute"]] + ["%s=%s" % kv for kv in
                                         cmd.get("arguments", {}).items()]),
            time.monotonic() - t))


if __name__ == "__main__":
    try:
        main()
    except socket.timeout:
        die("timed out waiting for QEMU")

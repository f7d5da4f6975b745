#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""monitor-ask.py SOCKET COMMAND...: put each COMMAND to a running QEMU's
human monitor (-monitor unix:SOCKET,server,nowait) and print its reply under
a "=== COMMAND" line.  boot.sh uses it to record what a guest that fell
silent was doing (registers, local APICs, interrupt controllers) and to
press the magic SysRq keys.  Exit status 0, or 1 when the socket could not
be reached."""

import socket
import sys
import time


def read_until_prompt(sock, limit=5.0):
    """Everything up to the next "(qemu) " prompt, or what came in limit s."""
    out = b""
    end = time.monotonic() + limit
    while not out.endswith(b"(qemu) ") and time.monotonic() < end:
        sock.settimeout(max(0.05, end - time.monotonic()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        out += data
    return out.decode(errors="replace")


def clean(text, command):
    """The reply without the monitor's line editing echo and prompt."""
    lines = []
    for line in text.replace("\r", "").split("\n"):
        if "\x1b[" in line or line.startswith("(qemu)") or line.strip() == command:
            continue
        lines.append(line)
    return "\n".join(lines).strip("\n")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(sys.argv[1])
    except OSError as err:
        print(f"monitor-ask: {sys.argv[1]}: {err}", file=sys.stderr)
        return 1
    read_until_prompt(sock)  # the banner
    for command in sys.argv[2:]:
        sock.sendall(command.encode() + b"\n")
        print(f"=== {command}")
        print(clean(read_until_prompt(sock, 10.0), command))
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Times vpdnd CLI commands over telnet, as an operator sees them.

Usage: cli_timing.py HOST PORT time COMMAND
         prints: first_line_ms=.. first_row_ms=.. full_ms=.. lines=.. bytes=..
         (from the Enter to the first output line after the echo, to the first line that
         starts with a digit (a table row), and to the next prompt; paging off)
       cli_timing.py HOST PORT run COMMAND...
         prints each command's output
Needs `authentication-mode none` on the VTY lines. Refuses every telnet option.
"""
import re
import socket
import sys
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
PROMPT = re.compile(rb"(<|\[)[-A-Za-z0-9_.~ ]+(>|\])$")


class Telnet:
    def __init__(self, host, port, timeout):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = bytearray()
        self.state = 0  # 0 data, 1 after IAC, 2 option byte, 3 in SB, 4 IAC in SB
        self.verb = 0

    def _feed(self, data):
        reply = bytearray()
        for b in data:
            if self.state == 0:
                if b == IAC:
                    self.state = 1
                else:
                    self.buf.append(b)
            elif self.state == 1:
                if b in (DO, DONT, WILL, WONT):
                    self.verb, self.state = b, 2
                elif b == SB:
                    self.state = 3
                elif b == IAC:
                    self.buf.append(b)
                    self.state = 0
                else:
                    self.state = 0
            elif self.state == 2:
                if self.verb == DO:
                    reply += bytes([IAC, WONT, b])
                elif self.verb == WILL:
                    reply += bytes([IAC, DONT, b])
                self.state = 0
            elif self.state == 3:
                if b == IAC:
                    self.state = 4
            elif self.state == 4:
                self.state = 0 if b == SE else 3
        if reply:
            self.s.sendall(reply)

    def read_some(self):
        data = self.s.recv(1 << 16)
        if not data:
            raise EOFError("connection closed")
        self._feed(data)

    def until_prompt(self):
        while not PROMPT.search(bytes(self.buf).rstrip(b" ")):
            self.read_some()
        out = bytes(self.buf)
        self.buf.clear()
        return out

    def send(self, line):
        self.s.sendall(line.encode() + b"\r")


def main():
    host, port, mode, commands = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    t = Telnet(host, port, 120)
    t.until_prompt()
    t.send("screen-length disable")
    t.until_prompt()
    if mode == "run":
        for c in commands:
            t.send(c)
            sys.stdout.write(t.until_prompt().decode(errors="replace"))
        return 0
    command = " ".join(commands)
    t.send(command)
    t0 = time.monotonic()
    first_line = first_row = None
    lines = 0
    total = 0
    pending = b""
    echo_seen = False
    done = False
    while not done:
        before = len(t.buf)
        t.read_some()
        now = time.monotonic()
        chunk = bytes(t.buf[before:])
        total += len(chunk)
        data = pending + chunk
        parts = data.split(b"\n")
        pending = parts.pop()
        for p in parts:
            p = p.rstrip(b"\r")
            if not echo_seen:
                echo_seen = command.encode() in p
                continue
            lines += 1
            if first_line is None and p.strip():
                first_line = now
            if first_row is None and p.lstrip()[:1].isdigit():
                first_row = now
        if echo_seen and PROMPT.search(pending.rstrip(b" ")):
            done = True
        if len(t.buf) > (1 << 20):
            del t.buf[:]
    full = time.monotonic()
    ms = lambda x: "%.1f" % ((x - t0) * 1000) if x is not None else "-"
    print("first_line_ms=%s first_row_ms=%s full_ms=%s lines=%d bytes=%d" %
          (ms(first_line), ms(first_row), ms(full), lines, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())

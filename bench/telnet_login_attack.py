#!/usr/bin/env python3
"""Telnet login attack figures against a running vpdnd on loopback (docs/SECURITY.md).

  bench/telnet_login_attack.py PORT [--seconds S] [--parallel N] [--user U]

guess: N parallel connections from 127.0.0.2 guess U's password for S seconds; prints
the wrong passwords the server answered per second and how many were refused.
idle: 64 connections from 127.0.0.3 that never log in, then an operator connects from
127.0.0.1; prints whether the operator got a Username prompt.
Only ever connects to 127.0.0.1.
"""
import argparse
import socket
import threading
import time


def connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def read_until(s, needles, deadline, pending=None):
    """Reads until a needle; `pending` (a one-item list) carries what follows it."""
    buf = pending[0] if pending else b""
    while True:
        for n in needles:
            at = buf.find(n)
            if at >= 0:
                if pending is not None:
                    pending[0] = buf[at + len(n):]
                return buf, n
        if time.time() >= deadline:
            break
        try:
            s.settimeout(max(0.05, deadline - time.time()))
            chunk = s.recv(4096)
        except socket.timeout:
            break
        except OSError:
            return buf, None
        if not chunk:
            return buf, None
        buf += chunk
    return buf, None


def guess(port, seconds, parallel, user):
    end = time.time() + seconds
    counts = {"answered": 0, "refused": 0}
    lock = threading.Lock()

    def worker(i):
        n = 0
        while time.time() < end:
            try:
                s = connect(port, "127.0.0.2")
            except OSError:
                time.sleep(0.05)
                continue
            pending = [b""]
            try:
                while time.time() < end:
                    _, hit = read_until(s, [b"Username:", b"Too many", b"reached the limit", b"locked"], end, pending)
                    if hit != b"Username:":
                        if hit is not None:
                            with lock:
                                counts["refused"] += 1
                        break
                    s.sendall(user.encode() + b"\r\n")
                    _, hit = read_until(s, [b"Password:"], end, pending)
                    if hit is None:
                        break
                    n += 1
                    s.sendall(b"guess%d-%d\r\n" % (i, n))
                    _, hit = read_until(s, [b"Authentication failed", b"locked", b"Too many"], end, pending)
                    if hit == b"Authentication failed":
                        with lock:
                            counts["answered"] += 1
                    else:
                        if hit is not None:
                            with lock:
                                counts["refused"] += 1
                        break
            finally:
                s.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(parallel)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - t0
    print("guess: %d parallel connections, %.1f s: %d wrong passwords answered (%.2f/s), %d refused" %
          (parallel, took, counts["answered"], counts["answered"] / took, counts["refused"]))


def idle(port):
    held = []
    for _ in range(64):
        try:
            held.append(connect(port, "127.0.0.3"))
        except OSError:
            pass
    time.sleep(0.5)
    op = connect(port, "127.0.0.1")
    buf, hit = read_until(op, [b"Username:", b"reached the limit", b"Too many"], time.time() + 5)
    print("idle: 64 idle connections from one address; operator from another: %s" %
          ("got Username:" if hit == b"Username:" else "refused (%r)" % (hit or buf[-60:])))
    op.close()
    for s in held:
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--parallel", type=int, default=40)
    p.add_argument("--user", default="admin")
    a = p.parse_args()
    idle(a.port)
    time.sleep(1)
    guess(a.port, a.seconds, a.parallel, a.user)


if __name__ == "__main__":
    main()

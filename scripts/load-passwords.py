#!/usr/bin/env python3
"""A password-hashing flood against a release server, and its peak memory.

Starts target/release/promptvault on an empty data directory, then sends 400 first-run
setups (`POST /v1/setup`) and 300 wrong dashboard sign-ins, 64 at a time, as an attacker
would. Every password check costs an argon2id hash of about 19 MiB; the server bounds how
many run at once, so its peak resident memory (VmHWM) must stay under 200 MB. Prints the
answers by status and the peak, and exits non-zero when the peak is over the limit or an
answer is a 5xx.

    scripts/load-passwords.py [path to the promptvault binary]
"""

import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

LIMIT_MB = 200
CONCURRENCY = 64
SETUPS = 400
SIGN_INS = 300
ADDR = "127.0.0.1:3931"
BASE = f"http://{ADDR}"


def request(method, path, body=None, headers=None):
    """(status, body bytes); never raises for an HTTP status."""
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_ready(server):
    for _ in range(400):
        if server.poll() is not None:
            sys.exit("the server stopped during start-up")
        try:
            if request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("the server did not start")


def peak_mb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def setup(i):
    body = json.dumps({"workspace": f"W{i}", "email": f"owner{i}@example.com",
                       "password": "correct horse battery", "name": f"Owner {i}"}).encode()
    return request("POST", "/v1/setup", body, {"content-type": "application/json"})[0]


def sign_in_path():
    """The sign-in server function's URL, read from the sign-in page's form."""
    _, page = request("GET", "/sign-in")
    found = re.search(rb'action="(/api/sign_in[^"]*)"', page)
    if not found:
        sys.exit("no sign-in form found on /sign-in")
    return found.group(1).decode()


def wrong_sign_in(path, i):
    body = f"email=owner0%40example.com&password=wrong-guess-{i}".encode()
    headers = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json"}
    return request("POST", path, body, headers)[0]


def flood(calls):
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        return collections.Counter(pool.map(lambda call: call(), calls))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/promptvault"
    data_dir = tempfile.mkdtemp(prefix="pv-load-")
    env = dict(os.environ, RUST_LOG="warn")
    server = subprocess.Popen([binary, "--addr", ADDR, "--data-dir", data_dir], env=env)
    try:
        wait_ready(server)
        started = time.monotonic()
        setups = flood([lambda i=i: setup(i) for i in range(SETUPS)])
        path = sign_in_path()
        sign_ins = flood([lambda i=i: wrong_sign_in(path, i) for i in range(SIGN_INS)])
        seconds = time.monotonic() - started
        peak = peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"{SETUPS} setups, by status:      {dict(sorted(setups.items()))}")
    print(f"{SIGN_INS} wrong sign-ins, by status: {dict(sorted(sign_ins.items()))}")
    print(f"{CONCURRENCY} at a time, {seconds:.1f} s in all; server peak memory {peak:.0f} MB (limit {LIMIT_MB} MB)")
    faults = sum(n for status, n in (setups + sign_ins).items() if status >= 500)
    if setups.get(201) != 1:
        sys.exit("exactly one setup should have succeeded")
    if faults:
        sys.exit(f"{faults} answers were server errors")
    if not peak < LIMIT_MB:
        sys.exit("the server's peak memory is over the limit")
    print("password flood: passed")


if __name__ == "__main__":
    main()

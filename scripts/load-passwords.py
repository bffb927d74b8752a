#!/usr/bin/env python3
"""A password-hashing flood against a server, and its peak memory.

Starts the server (target/release/promptvault unless given another) on an empty data directory, then sends 400 first-run
setups (`POST /v1/setup`) and 500 wrong dashboard sign-ins, 64 at a time, as an attacker
would. Every password check costs an argon2id hash of about 19 MiB; the server limits
attempts per address and per account (429 past about ten a minute) and bounds how many
hashes run at once, so its peak resident memory (VmHWM) must stay under 200 MB, most of the
flood must get 429, and a person signing in from another address (127.0.0.2) at the same
time must get in. Prints the answers by status and the peak, and exits non-zero when the
peak is over the limit, an answer is a 5xx, or the person is kept out.

    scripts/load-passwords.py [path to the promptvault binary]
"""

import collections
import concurrent.futures
import http.client
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
SIGN_INS = 500
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


def request_from(source, method, path, body, headers):
    """The same from another loopback address: (status, headers)."""
    conn = http.client.HTTPConnection(ADDR.split(":")[0], int(ADDR.split(":")[1]), timeout=60,
                                      source_address=(source, 0))
    conn.request(method, path, body=body, headers=headers)
    res = conn.getresponse()
    res.read()
    return res.status, res.getheaders()


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


# As a browser on the sign-in page posts it: the server refuses a form that does not say
# it came from its own pages.
FORM = {"content-type": "application/x-www-form-urlencoded", "accept": "application/json",
        "sec-fetch-site": "same-origin"}


def wrong_sign_in(path, i):
    body = f"email=victim%40example.com&password=wrong-guess-{i}".encode()
    return request("POST", path, body, FORM)[0]


def correct_sign_in(path, email, password):
    body = f"email={email.replace('@', '%40')}&password={password.replace(' ', '+')}".encode()
    status, headers = request_from("127.0.0.2", "POST", path, body, FORM)
    return status, any(name.lower() == "set-cookie" for name, _ in headers)


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
        if setup(0) != 201:
            sys.exit("the first setup should have succeeded")
        setups = flood([lambda i=i: setup(i) for i in range(1, SETUPS)])
        path = sign_in_path()
        with concurrent.futures.ThreadPoolExecutor(2) as both:
            # While the flood at another account runs from 127.0.0.1, the owner signs in
            # from 127.0.0.2.
            flooding = both.submit(lambda: flood([lambda i=i: wrong_sign_in(path, i) for i in range(SIGN_INS)]))
            time.sleep(0.2)
            signed_in = both.submit(lambda: correct_sign_in(path, "owner0@example.com", "correct horse battery")).result()
            sign_ins = flooding.result()
        seconds = time.monotonic() - started
        peak = peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"{SETUPS - 1} setups after the first, by status: {dict(sorted(setups.items()))}")
    print(f"{SIGN_INS} wrong sign-ins, by status: {dict(sorted(sign_ins.items()))}")
    print(f"{CONCURRENCY} at a time, {seconds:.1f} s in all; server peak memory {peak:.0f} MB (limit {LIMIT_MB} MB)")
    print(f"a correct sign-in from 127.0.0.2 meanwhile: {signed_in[0]}, session cookie: {signed_in[1]}")
    faults = sum(n for status, n in (setups + sign_ins).items() if status >= 500)
    if setups.get(201):
        sys.exit("a second setup succeeded")
    if sign_ins.get(429, 0) < SIGN_INS * 0.9:
        sys.exit("most of the flood should have been refused with 429")
    if signed_in != (200, True):
        sys.exit("the person signing in from another address was kept out")
    if faults:
        sys.exit(f"{faults} answers were server errors")
    if not peak < LIMIT_MB:
        sys.exit("the server's peak memory is over the limit")
    print("password flood: passed")


if __name__ == "__main__":
    main()

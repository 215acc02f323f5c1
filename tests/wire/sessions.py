"""Sessions over a real socket with a real cookie-handling client (requests.Session).

Run by tests/sessions_wire.rs with the servers' ports as name=port arguments:
login (examples/login.rs), old / rotated / new (keys OLD, [NEW, OLD], NEW) and
expiring (NEW, Max-Age=1). Prints "ok" when every check passed; an assert says which failed.
"""
import sys
import time

import requests

PORTS = dict(arg.split("=", 1) for arg in sys.argv[1:])


def url(server, path):
    return f"http://127.0.0.1:{PORTS[server]}{path}"


def login_flow():
    s = requests.Session()
    r = s.get(url("login", "/members/"), allow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/", r
    r = s.post(url("login", "/login"), data={"name": "ann", "password": "nope"}, allow_redirects=False)
    assert r.status_code == 401 and "set-cookie" not in r.headers, r.headers
    r = s.post(url("login", "/login"), data={"name": "ann", "password": "secret-ann"})
    assert r.status_code == 200 and "Hello, ann!" in r.text, r.text
    assert "session" in s.cookies, s.cookies
    r = s.get(url("login", "/members/notes"))
    assert r.json()["user"] == "ann", r.text
    assert "set-cookie" not in r.headers, "an unchanged session sends no cookie"
    r = s.post(url("login", "/logout"))
    assert r.status_code == 200 and "<form" in r.text, r.text
    assert "session" not in s.cookies, "logout expires the cookie"
    r = s.get(url("login", "/members/"), allow_redirects=False)
    assert r.status_code == 302, r


def tampering():
    s = requests.Session()
    s.post(url("new", "/login/ann"))
    sealed = s.cookies["session"]
    assert requests.get(url("new", "/me"), cookies={"session": sealed}).text == "ann"
    for i in (0, len(sealed) // 2, len(sealed) - 1):
        flipped = "A" if sealed[i] != "A" else "B"
        tampered = sealed[:i] + flipped + sealed[i + 1:]
        r = requests.get(url("new", "/me"), cookies={"session": tampered})
        assert r.status_code == 401, (i, r.status_code)
    r = requests.get(url("new", "/me"), cookies={"session": '{"v":{"user":"admin"}}'})
    assert r.status_code == 401, r.status_code


def rotation():
    old = requests.Session()
    old.post(url("old", "/login/ann"))
    old_cookie = old.cookies["session"]
    assert requests.get(url("rotated", "/me"), cookies={"session": old_cookie}).text == "ann"
    assert requests.get(url("new", "/me"), cookies={"session": old_cookie}).status_code == 401
    rotated = requests.Session()
    rotated.post(url("rotated", "/login/bob"))
    new_cookie = rotated.cookies["session"]
    assert requests.get(url("new", "/me"), cookies={"session": new_cookie}).text == "bob"
    assert requests.get(url("old", "/me"), cookies={"session": new_cookie}).status_code == 401


def expiry():
    s = requests.Session()
    r = s.post(url("expiring", "/login/ann"))
    assert "Max-Age=1" in r.headers["set-cookie"], r.headers["set-cookie"]
    kept = s.cookies["session"]
    assert s.get(url("expiring", "/me")).text == "ann"
    time.sleep(2.1)
    # Replayed by hand after the browser would have dropped it: refused all the same.
    r = requests.get(url("expiring", "/me"), cookies={"session": kept})
    assert r.status_code == 401, r.status_code


def oversize():
    s = requests.Session()
    s.post(url("new", "/login/ann"))
    r = s.post(url("new", "/big/2000"))
    assert r.status_code == 200, r.status_code
    r = s.post(url("new", "/big/5000"))
    assert r.status_code == 500 and "set-cookie" not in r.headers, (r.status_code, r.headers)
    assert s.get(url("new", "/me")).text == "ann", "the last session that fitted is kept"


for check in (login_flow, tampering, rotation, expiry, oversize):
    check()
    print(check.__name__, "passed")
print("ok")

"""Sessions over a real socket with a real cookie-handling client (requests.Session).

Run by tests/sessions_wire.rs with the servers' ports as name=port arguments:
login (examples/login.rs), old / rotated / new (keys OLD, [NEW, OLD], NEW) and
expiring (NEW, Max-Age=1). Prints "ok" when every check passed; an assert says which failed.
"""
import re
import sys
import time

import requests

PORTS = dict(arg.split("=", 1) for arg in sys.argv[1:])


def url(server, path):
    return f"http://127.0.0.1:{PORTS[server]}{path}"


def scripted(s, server):
    """Sends the session's CSRF token with every request of `s`, as a page's script does
    with the token it was served (here from GET /csrf-token, which starts the session)."""
    s.headers["X-CSRF-Token"] = s.get(url(server, "/csrf-token")).text
    return s


def form_token(s, page):
    """The CSRF token in the first form of the page, as a browser posts it back."""
    html = s.get(page).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def login_flow():
    s = requests.Session()
    r = s.get(url("login", "/members/"), allow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/", r
    token = form_token(s, url("login", "/"))
    login = {"csrf_token": token, "name": "ann", "password": "secret-ann"}
    # Forged: no token, or a form on another site (the browser names it in Origin).
    r = s.post(url("login", "/login"), data={"name": "ann", "password": "secret-ann"})
    assert r.status_code == 403 and "the CSRF token is missing" in r.text, (r.status_code, r.text)
    r = s.post(url("login", "/login"), data=login, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "Origin: http://evil.example" in r.text, (r.status_code, r.text)
    # Same origin, as a browser sends it: passes.
    same_origin = {"Origin": url("login", "")}
    r = s.post(url("login", "/login"), data={**login, "password": "nope"}, headers=same_origin,
               allow_redirects=False)
    assert r.status_code == 401 and "set-cookie" not in r.headers, r.headers
    r = s.post(url("login", "/login"), data=login)
    assert r.status_code == 200 and "Hello, ann!" in r.text, r.text
    assert "session" in s.cookies, s.cookies
    r = s.get(url("login", "/members/notes"))
    assert r.json()["user"] == "ann", r.text
    assert "set-cookie" not in r.headers, "an unchanged session sends no cookie"
    r = s.post(url("login", "/logout"), data={"csrf_token": form_token(s, url("login", "/members/"))})
    assert r.status_code == 200 and "<form" in r.text, r.text
    removal = r.history[0].headers["set-cookie"]
    assert removal.startswith("session=;") and "Max-Age=0" in removal, "logout expires the cookie"
    # The login form shown next starts an anonymous session for its CSRF token.
    r = s.get(url("login", "/members/"), allow_redirects=False)
    assert r.status_code == 302, r


def tampering():
    s = scripted(requests.Session(), "new")
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
    old = scripted(requests.Session(), "old")
    old.post(url("old", "/login/ann"))
    old_cookie = old.cookies["session"]
    assert requests.get(url("rotated", "/me"), cookies={"session": old_cookie}).text == "ann"
    assert requests.get(url("new", "/me"), cookies={"session": old_cookie}).status_code == 401
    rotated = scripted(requests.Session(), "rotated")
    rotated.post(url("rotated", "/login/bob"))
    new_cookie = rotated.cookies["session"]
    assert requests.get(url("new", "/me"), cookies={"session": new_cookie}).text == "bob"
    assert requests.get(url("old", "/me"), cookies={"session": new_cookie}).status_code == 401


def expiry():
    s = scripted(requests.Session(), "expiring")
    r = s.post(url("expiring", "/login/ann"))
    assert "Max-Age=1" in r.headers["set-cookie"], r.headers["set-cookie"]
    kept = s.cookies["session"]
    assert s.get(url("expiring", "/me")).text == "ann"
    time.sleep(2.1)
    # Replayed by hand after the browser would have dropped it: refused all the same.
    r = requests.get(url("expiring", "/me"), cookies={"session": kept})
    assert r.status_code == 401, r.status_code


def oversize():
    s = scripted(requests.Session(), "new")
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

"""The board example over a real socket, as a browser and a script meet it: Python's
requests.Session registers through the form (scraping its CSRF token), adds, edits and
deletes tasks through forms, uploads a file and downloads it, uses the JSON API with the
same session, and a websockets client sees every change live. A cross-site post and a
post without its token are refused with the board's 403 page.

Run by tests/board_wire.rs with the server's port. Prints "ok" when every check passed.
"""
import asyncio
import json
import re
import sys

import requests
import websockets

BASE = f"http://127.0.0.1:{sys.argv[1]}"


def token(s, path):
    html = s.get(BASE + path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def register(s, name):
    r = s.post(BASE + "/register", data={"csrf_token": token(s, "/register"), "name": name,
                                         "password": "a long password"})
    assert r.status_code == 200 and f"Welcome, {name}!" in r.text, (r.status_code, r.text)


async def next_event(live):
    return json.loads(await asyncio.wait_for(live.recv(), timeout=10))


async def main():
    s = requests.Session()
    register(s, "ann")
    cookie = "; ".join(f"{c.name}={c.value}" for c in s.cookies)
    async with websockets.connect(BASE.replace("http", "ws") + "/tasks/live",
                                  additional_headers={"Cookie": cookie}) as live:
        # Forms, as a browser sends them.
        t = token(s, "/tasks/")
        r = s.post(BASE + "/tasks/", data={"csrf_token": t, "title": "Write the report", "notes": ""})
        assert r.status_code == 200 and "Added \u201cWrite the report\u201d." in r.text, r.text
        event = await next_event(live)
        assert event["kind"] == "created" and event["task"]["title"] == "Write the report", event
        task = event["task"]["id"]

        r = s.post(BASE + "/tasks/", data={"csrf_token": t, "title": ""})
        assert r.status_code == 422 and "A task needs a title." in r.text, r.status_code

        t = token(s, f"/tasks/{task}")
        r = s.post(BASE + f"/tasks/{task}", data={"csrf_token": t, "title": "Write the report", "notes": "by Friday", "done": "on"})
        assert r.status_code == 200 and "Saved." in r.text, r.text
        event = await next_event(live)
        assert event["kind"] == "updated" and event["task"]["done"] is True, event

        # A file: requests sends `data` fields before `files`, so the token comes first.
        r = s.post(BASE + f"/tasks/{task}/files", data={"csrf_token": t},
                   files={"file": ("notes <v2>.txt", b"draft one\n", "text/plain")})
        assert r.status_code == 200 and "Attached notes_v2_.txt." in r.text, r.text
        link = re.search(r'href="(/tasks/%d/files/\d+)"' % task, r.text).group(1)
        r = s.get(BASE + link)
        assert r.content == b"draft one\n", r.content
        assert "attachment" in r.headers["content-disposition"], r.headers
        assert "notes_v2_.txt" in r.headers["content-disposition"], r.headers

        # Forgeries.
        r = s.post(BASE + "/tasks/", data={"title": "forged"})
        assert r.status_code == 403 and "the CSRF token is missing" in r.text, r.text
        r = s.post(BASE + "/tasks/", data={"csrf_token": t, "title": "forged"},
                   headers={"Origin": "https://evil.example"})
        # (The page escapes `/` as `&#x2f;`.)
        assert r.status_code == 403 and "(Origin: https:&#x2f;&#x2f;evil.example)" in r.text, r.text
        assert "<h1>403</h1>" in r.text, "the board's own error page"

        # The JSON API, with the same session.
        r = s.post(BASE + "/api/tasks", json={"title": "From a script"})
        assert r.status_code == 201, (r.status_code, r.text)
        event = await next_event(live)
        assert event["task"]["title"] == "From a script", event
        r = s.get(BASE + "/api/tasks", params={"done": "true"})
        assert [t["title"] for t in r.json()] == ["Write the report"], r.json()
        r = s.delete(BASE + f"/api/tasks/{task}")
        assert r.status_code == 204, r.status_code
        event = await next_event(live)
        assert event["kind"] == "deleted" and event["task"]["id"] == task, event
        r = s.get(BASE + f"/api/tasks/{task}")
        assert r.status_code == 404 and r.json() == {"error": "Not Found", "status": 404}, r.text

    # Logged out, nothing is served.
    r = requests.get(BASE + "/api/tasks")
    assert r.status_code == 401, r.status_code
    r = requests.get(BASE + "/tasks/", allow_redirects=False)
    assert r.status_code == 302 and r.headers["location"] == "/login", r.headers
    print("ok")


asyncio.run(main())

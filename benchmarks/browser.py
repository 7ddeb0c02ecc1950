"""A small HTTP client for page benchmarks (standard library only, so its own cost stays tiny and known).

One `Browser` is one person: it keeps cookies, logs in through the real login form (CSRF and all), and
times each request from sending it to the last byte of the body.
"""

from __future__ import annotations

import http.client
import re
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float


class Browser:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(host, port, timeout=900)

    def request(self, method: str, path: str, headers: dict | None = None, form: dict | None = None) -> Reply:
        sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError, BrokenPipeError):
            self.connection.close()  # the worker closed a kept-alive connection: one retry on a new one
            started = time.perf_counter()
            self.connection.request(method, path, body=body, headers=sent)
            response = self.connection.getresponse()
        data = response.read()
        ms = (time.perf_counter() - started) * 1000
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data, ms)

    def get(self, path: str, headers: dict | None = None) -> Reply:
        return self.request("GET", path, headers)

    def post(self, path: str, form: dict, headers: dict | None = None) -> Reply:
        return self.request("POST", path, headers, form)

    def log_in(self, email: str, password: str) -> Reply:
        page = self.get("/login")
        reply = self.post("/login", {"email": email, "password": password, "csrf_token": csrf_token(page.body)})
        if reply.status != 302:
            raise RuntimeError(f"login as {email} answered {reply.status}")
        return reply


def csrf_token(body: bytes) -> str:
    found = CSRF.search(body)
    if found is None:
        raise RuntimeError("no csrf_token in the page")
    return found.group(1).decode()

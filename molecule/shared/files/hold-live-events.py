#!/usr/bin/env python3
"""Holds live-events WebSockets open through a proxy, across a reload, and records what they receive.

Usage: hold-live-events.py hold URL SOCKETS DIR   load Tower's page at URL once (its awx_sessionid and
                                                    csrftoken cookies), open SOCKETS WebSockets on
                                                    /websocket/ with them, one after another, subscribe
                                                    each to job 1's events as Tower's UI does, and append
                                                    each job event's counter to DIR/<n>.events; runs until
                                                    DIR/stop exists (exit 0) or a socket closes (it writes
                                                    DIR/<n>.closed with the reason; exit 1)
       hold-live-events.py report DIR             print one JSON document: per socket the events seen,
                                                    the first and last counter, whether the counters are
                                                    consecutive, and why it closed (null while open)

Molecule test fixture (verify, molecule/shared/tasks/hold-live-events.yml): a socket opened before a
config change that must survive it. Python standard library only, so it runs on the test image as is;
TLS is verified against the system's trust store (the test CA is in it).
"""
import base64
import hashlib
import http.cookiejar
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import urllib.request

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
LIFETIME = 900  # seconds: a fixture nobody stops ends on its own
TIMEOUT = 10


class LiveSocket:
    """One RFC 6455 client connection: the handshake, unmasked server frames, masked client frames."""

    def __init__(self, url, cookies):
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        sock = socket.create_connection((parts.hostname, port), timeout=TIMEOUT)
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        self.sock = sock
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        cookie = "; ".join("%s=%s" % item for item in cookies.items())
        sock.sendall((
            "GET /websocket/ HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: %s://%s\r\nCookie: %s\r\n\r\n"
            % (parts.netloc, key, parts.scheme, parts.netloc, cookie)).encode())
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("iso-8859-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if lines[0].split()[1:2] != ["101"] or headers.get("sec-websocket-accept") != accept:
            raise OSError("handshake answered %r, not 101 with the right Sec-WebSocket-Accept" % lines[0])

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("the connection closed without a close frame")
        self.buffer += chunk

    def _take(self, count):
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def send(self, opcode, payload=b""):
        mask = os.urandom(4)
        size = len(payload)
        head = bytes([0x80 | opcode])
        if size < 126:
            head += bytes([0x80 | size])
        elif size < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", size)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", size)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self):
        """The next text message; answers pings; raises EOFError on a close frame."""
        message = b""
        while True:
            first, second = self._take(2)
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._take(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._take(8))[0]
            payload = self._take(size)
            opcode = first & 0x0F
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise EOFError("closed by the other side: code %s %s" % (code, payload[2:].decode("utf-8", "replace")))
            if opcode == 0x9:
                self.send(0xA, payload)
            elif opcode in (0x0, 0x1):
                message += payload
                if first & 0x80:
                    return json.loads(message)


def page_cookies(url):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(jar), urllib.request.HTTPSHandler(context=ssl.create_default_context()))
    with opener.open(url, timeout=TIMEOUT) as answer:
        answer.read()
    return {cookie.name: cookie.value for cookie in jar}


def follow(index, ws, directory, stop, failed):
    """Appends job event counters to DIR/<index>.events until told to stop or the socket closes."""
    with open(os.path.join(directory, "%d.events" % index), "a", buffering=1) as events:
        try:
            while not stop.is_set():
                try:
                    message = ws.receive()
                except (socket.timeout, TimeoutError):
                    continue
                if message.get("group_name") == "job_events":
                    events.write("%d\n" % message["counter"])
        except (OSError, EOFError, ValueError) as error:
            if not stop.is_set():
                with open(os.path.join(directory, "%d.closed" % index), "w") as closed:
                    closed.write("%s\n" % error)
                failed.set()


def hold(url, count, directory):
    os.makedirs(directory, exist_ok=True)
    cookies = page_cookies(url)
    sockets = []
    for _ in range(count):
        ws = LiveSocket(url, cookies)
        if not ws.receive().get("accept"):
            raise SystemExit("hold-live-events.py: Tower did not accept the socket")
        ws.send(0x1, json.dumps({"xrftoken": cookies["csrftoken"],
                                 "groups": {"jobs": ["status_changed", "summary"], "job_events": ["1"]}}).encode())
        ws.sock.settimeout(1)
        sockets.append(ws)
    stop, failed = threading.Event(), threading.Event()
    threads = [threading.Thread(target=follow, args=(i, ws, directory, stop, failed)) for i, ws in enumerate(sockets)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + LIFETIME
    while not failed.is_set() and not os.path.exists(os.path.join(directory, "stop")) and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    for ws in sockets:
        try:
            ws.send(0x8, struct.pack("!H", 1000))
        except OSError:
            pass
    print(json.dumps(report(directory)))
    return 1 if failed.is_set() or time.monotonic() >= deadline else 0


def report(directory):
    result = []
    index = 0
    while os.path.exists(os.path.join(directory, "%d.events" % index)):
        with open(os.path.join(directory, "%d.events" % index)) as events:
            counters = [int(line) for line in events if line.strip()]
        closed_file = os.path.join(directory, "%d.closed" % index)
        closed = open(closed_file).read().strip() if os.path.exists(closed_file) else None
        result.append({"events": len(counters), "first": counters[0] if counters else None,
                       "last": counters[-1] if counters else None,
                       "consecutive": counters == list(range(counters[0], counters[0] + len(counters))) if counters else True,
                       "closed": closed})
        index += 1
    return {"sockets": result}


def main(argv):
    if len(argv) == 4 and argv[0] == "hold":
        return hold(argv[1], int(argv[2]), argv[3])
    if len(argv) == 2 and argv[0] == "report":
        print(json.dumps(report(argv[1])))
        return 0
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tower-relay developers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: live_events_probe
short_description: Check that Ansible Tower / AWX live events reach a browser through a proxy
version_added: "0.1.0"
description:
  - Does what Tower's web UI does, through whatever proxy is in front of Tower, and says what is
    wrong in words a Tower administrator can act on.
  - Fetches the page at O(url) for the C(awx_sessionid) and C(csrftoken) cookies, opens a WebSocket
    on each of O(paths) with those cookies and an C(Origin) header, subscribes to a job's events with
    the CSRF token as Tower's UI does, and waits for O(events) job events with increasing C(counter).
  - Optionally stays idle for O(idle) seconds and checks that the socket still answers, which catches
    a proxy read timeout (NGINX cuts quiet sockets after 60 s by default).
  - Optionally asks the mock Tower's echo endpoint (C(/api/v2/mock/echo/)) which C(Host) and
    C(X-Forwarded-For) reached the upstream. Against a real Tower, which has no such endpoint, that
    check is skipped.
  - Pure Python standard library (its own minimal RFC 6455 client), so it runs on any target.
author:
  - tower-relay developers
options:
  url:
    description:
      - Base URL of Tower as a browser reaches it, C(http://host[:port]) or C(https://host[:port]),
        optionally with a path prefix.
    type: str
    required: true
  paths:
    description:
      - WebSocket paths to check, relative to O(url). AWX 23.8+ uses both defaults.
    type: list
    elements: str
    default: [/websocket/, /api/websocket/]
  events:
    description:
      - Number of job events to wait for on each path. C(0) checks only the handshake and subscription.
    type: int
    default: 3
  job_id:
    description:
      - Job whose events to subscribe to.
    type: int
    default: 1
  timeout:
    description:
      - Seconds to wait for each step (connect, handshake, subscription reply, the events).
    type: float
    default: 15
  idle:
    description:
      - Seconds to stay silent on the first path after the events arrived, then check with a ping
        that the socket still works. C(0) skips the idle check.
    type: int
    default: 0
  origin:
    description:
      - C(Origin) header of the handshake. Defaults to the scheme, host and port of O(url), as a
        browser sends it.
    type: str
  cookies:
    description:
      - Extra cookies to send, for example C(awx_sessionid) of a logged-in session against a real
        Tower (its page sets the session cookie only after login).
      - They are added to the cookies the page sets, and win over them.
    type: dict
    default: {}
  check_forwarded_for:
    description:
      - Fail when the echo endpoint shows that no C(X-Forwarded-For) reached Tower. Turn it off when
        probing Tower directly, without a proxy.
    type: bool
    default: true
  echo_path:
    description:
      - Path of the mock Tower's echo endpoint, relative to O(url). Empty skips the check.
    type: str
    default: /api/v2/mock/echo/
  validate_certs:
    description:
      - Verify the TLS certificate of O(url) (page and WebSocket).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of CA certificates to verify O(url) with, instead of the system's.
    type: path
notes:
  - The probe only reads (a page, a subscription), so check mode runs it as well.
  - The diagnosis names the first problem found; fix it and run again.
  - RV(cause) uses the cause codes of the relay's C(probe --json) (C(java -jar tower-relay.jar probe URL --json),
    key C(cause)), so a diagnosis reads the same whichever of the two found it.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Check live events through the NGINX in front of Tower
  towerrelay.proxy.live_events_probe:
    url: https://tower.example.com
    events: 3
  register: probe

- name: Also catch a proxy read timeout (quiet jobs lose their live output)
  towerrelay.proxy.live_events_probe:
    url: https://tower.example.com
    idle: 75
    ca_path: /etc/ssl/certs/internal-ca.pem

- name: Probe a real Tower with a logged-in session cookie
  towerrelay.proxy.live_events_probe:
    url: https://tower.example.com
    cookies:
      awx_sessionid: "{{ tower_session_id }}"
      csrftoken: "{{ tower_csrf_token }}"
    echo_path: ""
  no_log: true

- name: Report the diagnosis without failing the play
  towerrelay.proxy.live_events_probe:
    url: http://127.0.0.1:8080
  register: probe
  failed_when: false

- name: Show it
  ansible.builtin.debug:
    msg: "{{ probe.cause }}: {{ probe.diagnosis }}"
"""

RETURN = r"""
status:
  description: C(ok) when live events flow, else C(failed).
  returned: always
  type: str
  sample: ok
cause:
  description:
    - Code of the first problem found; null when live events flow.
    - The same codes as the C(cause) of the relay's C(probe --json), for the same situations.
    - C(unreachable) nothing accepts connections on the URL's host and port, or the name does not resolve.
    - C(tls-certificate-untrusted), C(tls-hostname-mismatch), C(tls-scheme-mismatch) (C(https://) to a plain
      HTTP port, or C(http://) to a TLS port), C(tls-failed) (any other TLS failure).
    - C(page-error) the page does not load (an error status, a redirect, not HTTP).
    - C(not-logged-in) no C(awx_sessionid) session cookie to open the socket with (Tower refuses it).
    - C(upgrade-not-passed) the handshake got a plain answer (400, 404, 405, 426, 2xx), so the proxy did not pass
      C(Upgrade) and C(Connection).
    - C(handshake-timed-out) a 504, or no answer at all to the handshake in time.
    - C(upgrade-mangled) a 101 that is not a valid WebSocket handshake, or a stream after it that is not
      WebSocket frames.
    - C(path-not-routed) 404 on a WebSocket path while an earlier one upgraded (AWX 23.8+ needs both).
    - C(cookies-not-passed) 401/403 on the handshake, and the session cookie does not reach Tower.
    - C(host-rewritten) 401/403 on the handshake, and the proxy rewrites C(Host).
    - C(handshake-forbidden) 401/403 on the handshake with cookie and Host intact (Origin or session refused).
    - C(handshake-refused) any other answer than 101 (502, 503, 500...).
    - C(closed-before-established) the connection closed before any answer to the handshake.
    - C(no-accept-message) the socket opened but Tower never sent its accept message.
    - C(subscription-refused) Tower refused the subscription (no C(csrftoken) to send as C(xrftoken), or a wrong one).
    - C(no-events) no answer to the subscription, or fewer job events than O(events) in time.
    - C(events-out-of-order) job event counters did not increase.
    - C(closed-while-streaming) the socket closed or broke after it opened.
    - C(idle-timeout) the socket was closed during O(idle) seconds of silence (a proxy read timeout).
    - C(dead-after-idle) the socket looked open after O(idle) seconds but no longer answered.
    - C(client-address-not-forwarded) live events work, but no C(X-Forwarded-For) reaches Tower (O(check_forwarded_for)).
  returned: always
  type: str
  sample: upgrade-not-passed
diagnosis:
  description: What is wrong and what to change, in a Tower administrator's words (or what works).
  returned: always
  type: str
  sample: >-
    The proxy did not pass the WebSocket upgrade on /websocket/: the handshake got 400 Bad Request,
    the answer to a plain GET...
handshake_status:
  description: HTTP status of the WebSocket handshake on the first path (101 when it upgraded), 0 if none.
  returned: always
  type: int
  sample: 101
events_seen:
  description: Job events received on the first path.
  returned: always
  type: int
  sample: 3
paths:
  description: What happened on each WebSocket path checked.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The WebSocket path.
      type: str
    handshake_status:
      description: HTTP status of the handshake, 0 if none came.
      type: int
    accepted:
      description: Whether Tower accepted the socket (its first message has C(accept) true).
      type: bool
    subscribed:
      description: Whether Tower confirmed the subscription (C(groups_current)).
      type: bool
    events_seen:
      description: Job events received.
      type: int
    last_counter:
      description: C(counter) of the last job event received, 0 if none.
      type: int
    ok:
      description: Whether every check on this path passed.
      type: bool
  sample:
    - {path: /websocket/, handshake_status: 101, accepted: true, subscribed: true, events_seen: 3, last_counter: 3, ok: true}
cookies:
  description: Names of the cookies the page set.
  returned: always
  type: list
  elements: str
  sample: [awx_sessionid, csrftoken]
idle_survived:
  description: Whether the socket still answered after O(idle) seconds of silence; null when not checked.
  returned: always
  type: bool
  sample: true
upstream_host:
  description: C(Host) header as it reached Tower (echo endpoint); null when not known.
  returned: always
  type: str
  sample: tower.example.com
upstream_forwarded_for:
  description: C(X-Forwarded-For) as it reached Tower (echo endpoint); null when absent or not known.
  returned: always
  type: str
  sample: 192.0.2.10
upstream_headers:
  description:
    - All request headers as they reached Tower (echo endpoint, names lower case); empty when not known.
    - C(Cookie) and C(Authorization) values are replaced by C((redacted)).
  returned: always
  type: dict
  sample: {host: tower.example.com, x-forwarded-for: 192.0.2.10, x-forwarded-proto: https}
"""

import base64
import hashlib
import json
import os
import select
import socket
import ssl
import struct
import time

try:
    import http.client as http_client
    from http.cookies import SimpleCookie
    from urllib.parse import urlsplit, quote
except ImportError:  # pragma: no cover - Python 2 is not supported by this module
    http_client = None

from ansible.module_utils.basic import AnsibleModule

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD_BYTES = 65536
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
USER_AGENT = "towerrelay.proxy.live_events_probe"

# RFC 6455 opcodes.
OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA


# Cause codes: the strings of the relay's `probe --json` (java-agent io.towerrelay.probe.Cause), so the
# module and the probe name a broken setup alike. tests/test_live_events_probe.py checks this list
# against Cause.java.
UNREACHABLE = "unreachable"
PAGE_ERROR = "page-error"
TLS_UNTRUSTED = "tls-certificate-untrusted"
TLS_HOSTNAME_MISMATCH = "tls-hostname-mismatch"
TLS_SCHEME_MISMATCH = "tls-scheme-mismatch"
TLS_FAILED = "tls-failed"
UPGRADE_NOT_PASSED = "upgrade-not-passed"
HANDSHAKE_TIMED_OUT = "handshake-timed-out"
UPGRADE_MANGLED = "upgrade-mangled"
PATH_NOT_ROUTED = "path-not-routed"
NOT_LOGGED_IN = "not-logged-in"
COOKIES_NOT_PASSED = "cookies-not-passed"
HOST_REWRITTEN = "host-rewritten"
HANDSHAKE_FORBIDDEN = "handshake-forbidden"
HANDSHAKE_REFUSED = "handshake-refused"
CLOSED_BEFORE_ESTABLISHED = "closed-before-established"
NO_ACCEPT = "no-accept-message"
SUBSCRIPTION_REFUSED = "subscription-refused"
NO_EVENTS = "no-events"
EVENTS_OUT_OF_ORDER = "events-out-of-order"
CLOSED_WHILE_STREAMING = "closed-while-streaming"
IDLE_CUT = "idle-timeout"
IDLE_DEAF = "dead-after-idle"
CLIENT_ADDRESS_NOT_FORWARDED = "client-address-not-forwarded"

# OpenSSL's reasons when one side speaks TLS and the other plain HTTP (3.0: WRONG_VERSION_NUMBER,
# 3.2+: RECORD_LAYER_FAILURE; HTTP_REQUEST when a server gets HTTP on its TLS port).
NOT_TLS_REASONS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG")
# X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
HOSTNAME_VERIFY_CODES = (62, 64)


class ProbeFailure(Exception):
    """The first problem found: its cause code and the diagnosis in an admin's words."""

    def __init__(self, cause, diagnosis):
        super(ProbeFailure, self).__init__(diagnosis)
        self.cause = cause
        self.diagnosis = diagnosis


class WebSocketClosed(Exception):
    """The peer closed the WebSocket (close frame, or the TCP connection ended)."""

    def __init__(self, code=None, reason="", clean=False):
        super(WebSocketClosed, self).__init__(reason)
        self.code = code
        self.reason = reason
        self.clean = clean

    def describe(self):
        if self.clean:
            return "a close frame (code %s%s)" % (self.code, (", " + self.reason) if self.reason else "")
        return "the TCP connection ending without a close frame"


class Deadline(object):
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def remaining(self):
        left = self.end - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline passed")
        return left


class Target(object):
    """Where the browser points: scheme, host, port, path prefix, and the headers it derives."""

    def __init__(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be http://host[:port] or https://host[:port], got %r" % url)
        self.tls = parts.scheme == "https"
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/")
        host_for_header = "[%s]" % self.host if ":" in self.host else self.host
        default_port = 443 if self.tls else 80
        self.netloc = host_for_header if self.port == default_port else "%s:%d" % (host_for_header, self.port)
        self.origin = "%s://%s" % (self.scheme, self.netloc)

    def path(self, path):
        return self.prefix + "/" + path.lstrip("/")


def tls_context(validate_certs, ca_path):
    if validate_certs:
        context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def connection_failure(target, error, timeout_cause=UNREACHABLE):
    """Turns a socket or TLS error into a cause and the words a Tower admin can act on.

    A connect timeout is `unreachable` for the page; on a WebSocket path (after the page loaded) the
    relay's probe calls it `handshake-timed-out`, and the caller says so with `timeout_cause`."""
    where = "%s:%d" % (target.host, target.port)
    if isinstance(error, ssl.SSLCertVerificationError):
        if getattr(error, "verify_code", None) in HOSTNAME_VERIFY_CODES:
            return ProbeFailure(
                TLS_HOSTNAME_MISMATCH,
                "The TLS certificate of %s does not match the host %s (%s). Browsers refuse it as well, so the UI "
                "and its live events fail. Install a certificate whose subjectAltName names %s." % (
                    where, target.host, error.verify_message or error, target.host))
        return ProbeFailure(
            TLS_UNTRUSTED,
            "The TLS certificate of %s is not trusted (%s). Browsers refuse it as well, so the UI and its "
            "live events fail. Install a certificate for %s signed by a CA the clients trust, or point "
            "ca_path at the CA (validate_certs=false only for a test)." % (where, error.verify_message or error, target.host))
    if isinstance(error, ssl.SSLError):
        if getattr(error, "reason", None) in NOT_TLS_REASONS:
            return ProbeFailure(
                TLS_SCHEME_MISMATCH,
                "This port does not speak TLS: the URL says https:// (so wss://) but %s answers plain HTTP (%s). "
                "Use http:// for this port, or make the proxy speak TLS on it (NGINX: `listen %d ssl`; "
                "Apache: `SSLEngine on`)." % (where, error, target.port))
        return ProbeFailure(
            TLS_FAILED,
            "The TLS handshake with %s failed (%s). Check that the proxy speaks TLS on this port (NGINX: `listen %d ssl`; "
            "Apache: `SSLEngine on`) and that the URL's scheme matches." % (where, error, target.port))
    if isinstance(error, ConnectionRefusedError):
        return ProbeFailure(UNREACHABLE, "Nothing accepts connections on %s: is the proxy running and listening there?" % where)
    if isinstance(error, socket.timeout):
        if timeout_cause == HANDSHAKE_TIMED_OUT:
            return ProbeFailure(HANDSHAKE_TIMED_OUT, "No answer from %s in time for the WebSocket connection: the proxy "
                                                     "holds the upgrade request without completing it." % where)
        return ProbeFailure(timeout_cause, "No answer from %s in time (a firewall dropping packets, or the proxy is stuck)." % where)
    if isinstance(error, socket.gaierror):
        return ProbeFailure(UNREACHABLE, "Cannot resolve %s: %s." % (target.host, error))
    return ProbeFailure(UNREACHABLE, "Cannot talk to %s: %s." % (where, error))


class HttpProbe(object):
    """Plain HTTP requests as the browser makes them (http.client)."""

    def __init__(self, target, context, timeout):
        self.target = target
        self.context = context
        self.timeout = timeout

    def get(self, path, cookies=None):
        if self.target.tls:
            conn = http_client.HTTPSConnection(self.target.host, self.target.port, timeout=self.timeout, context=self.context)
        else:
            conn = http_client.HTTPConnection(self.target.host, self.target.port, timeout=self.timeout)
        try:
            headers = {"Host": self.target.netloc, "User-Agent": USER_AGENT, "Accept": "*/*"}
            if cookies:
                headers["Cookie"] = cookie_header(cookies)
            conn.request("GET", self.target.path(path), headers=headers)
            response = conn.getresponse()
            body = response.read(1024 * 1024)
            return response.status, response.reason, response.msg, body
        except (OSError, http_client.HTTPException) as error:
            if isinstance(error, http_client.HTTPException) and not isinstance(error, OSError):
                raise ProbeFailure(PAGE_ERROR, "The answer from %s:%d was not HTTP (%s): is this port a TLS port "
                                           "reached with http://, or not a web server?" % (self.target.host, self.target.port, error))
            raise connection_failure(self.target, error)
        finally:
            conn.close()


def cookie_header(cookies):
    return "; ".join("%s=%s" % (name, value) for name, value in cookies.items())


def cookies_from(headers):
    jar = {}
    for value in headers.get_all("Set-Cookie") or []:
        parsed = SimpleCookie()
        try:
            parsed.load(value)
        except Exception:  # a cookie the stdlib parser does not understand is not one Tower sets
            continue
        for name, morsel in parsed.items():
            jar[name] = morsel.value
    return jar


class WebSocket(object):
    """A minimal RFC 6455 client: masked frames out, fragmented messages in, ping/pong/close handled."""

    def __init__(self, sock, buffered=b""):
        self.sock = sock
        self.buffer = bytearray(buffered)
        self.pongs = []
        self.closed = None

    # -- handshake ---------------------------------------------------------------------------
    @staticmethod
    def handshake(sock, target, path, origin, cookies, deadline):
        """Sends the upgrade request; returns (status, reason, headers, leftover bytes, body)."""
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        lines = [
            "GET %s HTTP/1.1" % quote(target.path(path), safe="/?=&%:@"),
            "Host: %s" % target.netloc,
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: %s" % key,
            "Sec-WebSocket-Version: 13",
            "Origin: %s" % origin,
            "User-Agent: %s" % USER_AGENT,
        ]
        if cookies:
            lines.append("Cookie: %s" % cookie_header(cookies))
        sock.settimeout(deadline.remaining())
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

        data = bytearray()
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEAD_BYTES:
                raise ProbeFailure(HANDSHAKE_REFUSED, "The handshake answer on %s has a head over %d bytes." % (path, MAX_HEAD_BYTES))
            sock.settimeout(deadline.remaining())
            chunk = sock.recv(8192)
            if not chunk:
                raise WebSocketClosed()
            data.extend(chunk)
        head, _, rest = bytes(data).partition(b"\r\n\r\n")
        head_lines = head.decode("latin-1").split("\r\n")
        status_parts = head_lines[0].split(" ", 2)
        if len(status_parts) < 2 or not status_parts[0].startswith("HTTP/") or not status_parts[1].isdigit():
            raise ProbeFailure(HANDSHAKE_REFUSED, "The handshake answer on %s is not HTTP: %r" % (path, head_lines[0][:200]))
        status = int(status_parts[1])
        reason = status_parts[2] if len(status_parts) > 2 else ""
        headers = {}
        for line in head_lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                name = name.strip().lower()
                headers[name] = (headers[name] + ", " + value.strip()) if name in headers else value.strip()
        if status == 101:
            expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode("ascii")).digest()).decode("ascii")
            problems = []
            if headers.get("upgrade", "").lower() != "websocket":
                problems.append("Upgrade is %r, not websocket" % headers.get("upgrade", ""))
            if "upgrade" not in [token.strip().lower() for token in headers.get("connection", "").split(",")]:
                problems.append("Connection is %r, without upgrade" % headers.get("connection", ""))
            if headers.get("sec-websocket-accept") != expected:
                problems.append("Sec-WebSocket-Accept does not match the key (a proxy rewrote the handshake)")
            if problems:
                raise ProbeFailure(UPGRADE_MANGLED, "Got 101 on %s but the handshake was invalid: %s." % (path, "; ".join(problems)))
            return status, reason, headers, rest, b""
        body = rest
        try:
            sock.settimeout(min(deadline.remaining(), 2.0))
            length = int(headers.get("content-length", "-1"))
            while len(body) < min(length, 4096):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                body += chunk
        except (OSError, ValueError):
            pass
        return status, reason, headers, b"", body[:4096]

    # -- frames ------------------------------------------------------------------------------
    def send(self, opcode, payload):
        mask = os.urandom(4)
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self.send(OP_TEXT, text.encode("utf-8"))

    def _read_exactly(self, count, deadline):
        while len(self.buffer) < count:
            self.sock.settimeout(deadline.remaining())
            chunk = self.sock.recv(max(65536, count - len(self.buffer)))
            if not chunk:
                raise WebSocketClosed()
            self.buffer.extend(chunk)
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def _read_frame(self, deadline):
        first, second = struct.unpack("!BB", self._read_exactly(2, deadline))
        fin, opcode = bool(first & 0x80), first & 0x0F
        masked, length = bool(second & 0x80), second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exactly(2, deadline))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exactly(8, deadline))[0]
        if length > MAX_MESSAGE_BYTES:
            raise ProbeFailure(UPGRADE_MANGLED, "After the 101, a WebSocket frame of %d bytes arrived; that is not Tower: "
                                                "something between the browser and Tower alters the stream." % length)
        mask = self._read_exactly(4, deadline) if masked else None
        payload = self._read_exactly(length, deadline)
        if mask:
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return fin, opcode, payload

    def receive(self, deadline):
        """Returns the next data message as text; answers pings, records pongs, raises on close."""
        fragments = []
        message_opcode = None
        while True:
            fin, opcode, payload = self._read_frame(deadline)
            if opcode == OP_PING:
                self.send(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                self.pongs.append(payload)
                if not fragments:
                    return None
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                reason = payload[2:].decode("utf-8", "replace")
                try:
                    self.send(OP_CLOSE, payload[:2])
                except OSError:
                    pass
                self.closed = WebSocketClosed(code, reason, clean=True)
                raise self.closed
            if opcode in (OP_TEXT, OP_BINARY):
                message_opcode = opcode
                fragments = [payload]
            elif opcode == OP_CONTINUATION and message_opcode is not None:
                fragments.append(payload)
            else:
                raise ProbeFailure(UPGRADE_MANGLED, "After the 101, an unexpected WebSocket frame (opcode %d) arrived: "
                                                    "something between the browser and Tower alters the stream." % opcode)
            if fin:
                return b"".join(fragments).decode("utf-8", "replace")

    def wait_readable(self, seconds):
        """Waits up to `seconds` without sending; True if the peer sent something (or closed)."""
        if self.buffer:
            return True
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        readable, _, _ = select.select([self.sock], [], [], max(0.0, seconds))
        return bool(readable)

    def close(self):
        try:
            if self.closed is None:
                self.send(OP_CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


def status_words(status, reason):
    return ("%d %s" % (status, reason)).strip()


UPGRADE_FIX = ("NGINX: proxy_http_version 1.1, proxy_set_header Upgrade $http_upgrade and Connection "
               "$connection_upgrade in location %s; Apache: ProxyPass %s ... upgrade=websocket (2.4.47+) or the "
               "mod_proxy_wstunnel RewriteRule, with mod_proxy_wstunnel loaded.")


def handshake_failure(path, status, reason, body, echo=None, earlier_path_opened=False):
    """Classifies a handshake answered with something else than 101, as the relay's probe does.

    `echo` is what the echo endpoint showed reached Tower on a plain request (EchoSeen), or None."""
    said = status_words(status, reason)
    snippet = body.decode("utf-8", "replace").strip().replace("\n", " ")[:200]
    tail = (" Body: %r." % snippet) if snippet else ""
    if status in (401, 403):
        refused = "Tower refused the WebSocket handshake on %s with %s: " % (path, said)
        if echo is not None and not echo.session_cookie_arrived:
            return ProbeFailure(
                COOKIES_NOT_PASSED,
                refused + "the session cookie was sent but did not reach Tower: the proxy drops cookies, and AWX "
                "refuses sockets without its awx_sessionid. Make the proxy pass the Cookie header unchanged "
                "(no proxy_set_header Cookie / RequestHeader unset Cookie).%s" % tail)
        if echo is not None and not echo.host_preserved:
            return ProbeFailure(
                HOST_REWRITTEN,
                refused + "the proxy rewrites Host (the browser sends %r, Tower sees %r), so the Origin no longer "
                "matches the Host Tower sees and its CSRF/Origin check refuses the socket. Keep Host as the browser "
                "sent it (NGINX: proxy_set_header Host $http_host; Apache: ProxyPreserveHost On).%s" % (
                    echo.host_sent, echo.host_seen, tail))
        return ProbeFailure(
            HANDSHAKE_FORBIDDEN,
            refused + "the session cookie was sent; the Origin or the session was refused. AWX refuses sockets "
            "without the session cookie and Django refuses an Origin that does not match Host: make the proxy "
            "pass the Cookie header and keep Host as the browser sent it (NGINX: proxy_set_header Host $http_host; "
            "Apache: ProxyPreserveHost On), or add the public origin to CSRF_TRUSTED_ORIGINS (role "
            "towerrelay.proxy.tower_settings); tower-relay answers 403 itself to an Origin outside "
            "relay_websocket_allowed_origins.%s" % tail)
    if status == 504:
        return ProbeFailure(
            HANDSHAKE_TIMED_OUT,
            "504 on the WebSocket handshake on %s: the proxy gave up waiting for Tower's answer to the upgrade "
            "- the browser's \"Error during WebSocket handshake: Unexpected response code: 504\". The proxy "
            "forwarded the request without the upgrade and waited for an answer that never comes. %s" % (
                path, UPGRADE_FIX % (path, path)))
    if status == 404 and earlier_path_opened:
        return ProbeFailure(
            PATH_NOT_ROUTED,
            "404 on the WebSocket handshake on %s while an earlier WebSocket path works: fine for Tower before "
            "AWX 23.8, broken for 23.8+, which uses /api/websocket/ as well. Route %s to Tower with the same "
            "WebSocket settings as /websocket/.%s" % (path, path, tail))
    if status in (400, 404, 405, 426) or 200 <= status < 300:
        return ProbeFailure(
            UPGRADE_NOT_PASSED,
            "The proxy did not pass the WebSocket upgrade on %s: the handshake got %s instead of 101 Switching "
            "Protocols. Tower saw a plain GET, so the proxy did not pass the Upgrade and Connection headers "
            "(the browser shows 'Unexpected response code: %d' or 'closed before the connection is "
            "established'). %s%s" % (path, said, status, UPGRADE_FIX % (path, path), tail))
    if status in (502, 503):
        return ProbeFailure(
            HANDSHAKE_REFUSED,
            "%s instead of 101 on the WebSocket handshake on %s: the proxy could not reach Tower for the "
            "upgrade. Check the proxy's upstream address for %s and that Tower's web service is up.%s" % (
                said, path, path, tail))
    return ProbeFailure(
        HANDSHAKE_REFUSED,
        "%s instead of 101 on the WebSocket handshake on %s.%s" % (said, path, tail))


class EchoSeen(object):
    """What the mock Tower's echo endpoint says reached Tower: the session cookie, and Host."""

    def __init__(self, headers, host_sent):
        names = set()
        for part in (headers.get("cookie") or "").split(";"):
            name = part.split("=", 1)[0].strip()
            if name:
                names.add(name)
        self.session_cookie_arrived = "awx_sessionid" in names
        self.host_sent = host_sent
        self.host_seen = (headers.get("host") or "").lower()
        self.host_preserved = not self.host_seen or self.host_seen == host_sent


class LiveEventsProbe(object):
    def __init__(self, params):
        self.params = params
        self.target = Target(params["url"])
        self.context = tls_context(params["validate_certs"], params.get("ca_path"))
        self.timeout = float(params["timeout"])
        self.origin = params.get("origin") or self.target.origin
        self.http = HttpProbe(self.target, self.context, self.timeout)
        self.result = {
            "status": "failed",
            "cause": None,
            "diagnosis": "",
            "handshake_status": 0,
            "events_seen": 0,
            "paths": [],
            "cookies": [],
            "idle_survived": None,
            "upstream_host": None,
            "upstream_forwarded_for": None,
            "upstream_headers": {},
        }
        self.warnings = []
        self.echo = None  # EchoSeen, when the echo endpoint answered

    # -- steps -------------------------------------------------------------------------------
    def fetch_page(self):
        status, reason, headers, body = self.http.get("/")
        lowered = body[:4096].decode("utf-8", "replace").lower()
        # NGINX answers plain HTTP on its TLS port with 400 and this text; Apache with a 400 about "SSL-enabled".
        if not self.target.tls and status == 400 and (
                "plain http request was sent to https port" in lowered or "speaking plain http to an ssl-enabled server" in lowered):
            raise ProbeFailure(
                TLS_SCHEME_MISMATCH,
                "This port serves HTTPS but the URL says http:// (GET %s/ answered %s); live events would use ws:// "
                "where wss:// is needed. Use https:// for this port." % (
                    self.target.origin + self.target.prefix, status_words(status, reason)))
        if status >= 400:
            raise ProbeFailure(PAGE_ERROR, "GET %s/ answered %s: the proxy does not serve Tower's UI at this URL." % (
                self.target.origin + self.target.prefix, status_words(status, reason)))
        if 300 <= status < 400:
            raise ProbeFailure(PAGE_ERROR, "GET %s/ answered %s, a redirect to %s: point url at the address the browser "
                                       "ends up on (e.g. the https:// one)." % (
                                           self.target.origin + self.target.prefix, status_words(status, reason),
                                           headers.get("Location", "(no Location)")))
        jar = cookies_from(headers)
        self.result["cookies"] = sorted(jar)
        jar.update(self.params.get("cookies") or {})
        missing = [name for name in ("awx_sessionid", "csrftoken") if name not in jar]
        if missing:
            # Without awx_sessionid Tower refuses the socket (the relay's probe: not-logged-in); without
            # csrftoken only the subscription fails (subscription-refused: no xrftoken to send).
            raise ProbeFailure(
                NOT_LOGGED_IN if "awx_sessionid" in missing else SUBSCRIPTION_REFUSED,
                "The page at %s/ set no %s cookie, and Tower's UI needs it for live events (the socket is "
                "refused without awx_sessionid; the subscription needs csrftoken). Check that the proxy passes "
                "Set-Cookie unchanged (no proxy_hide_header / Header unset Set-Cookie, no cookie path or "
                "domain rewriting); against a real Tower, log in and pass the session's cookies in "
                "`cookies`." % (self.target.origin + self.target.prefix, " and ".join(missing)))
        return jar

    def fetch_echo(self, cookies):
        path = self.params.get("echo_path")
        if not path:
            return
        status, _, _, body = self.http.get(path, cookies)
        if status != 200:
            return  # a real Tower has no echo endpoint: nothing to learn here
        try:
            echoed = json.loads(body.decode("utf-8"))
        except ValueError:
            return
        headers = echoed_headers(echoed)
        if not headers:
            return
        # Credentials Tower saw are not facts anyone needs in a log.
        self.result["upstream_headers"] = dict(
            (name, "(redacted)" if name in ("cookie", "authorization") else value) for name, value in headers.items())
        self.result["upstream_host"] = headers.get("host")
        self.result["upstream_forwarded_for"] = headers.get("x-forwarded-for")
        sent_host = self.target.netloc.lower()
        self.echo = EchoSeen(headers, sent_host)
        seen_host = self.echo.host_seen
        if not self.echo.host_preserved:
            self.warnings.append(
                "The proxy rewrites Host: the browser sends %r, Tower sees %r. Tower's CSRF check compares Origin "
                "with Host, so POSTs and WebSockets from the UI may get 403; pass Host unchanged "
                "(NGINX: proxy_set_header Host $http_host; Apache: ProxyPreserveHost On)." % (sent_host, seen_host))

    def check_path(self, path, cookies, with_idle):
        record = {"path": path, "handshake_status": 0, "accepted": False, "subscribed": False,
                  "events_seen": 0, "last_counter": 0, "ok": False}
        self.result["paths"].append(record)
        deadline = Deadline(self.timeout)
        try:
            sock = socket.create_connection((self.target.host, self.target.port), timeout=deadline.remaining())
            if self.target.tls:
                sock = self.context.wrap_socket(sock, server_hostname=self.target.host)
        except (OSError, ssl.SSLError) as error:
            raise connection_failure(self.target, error, timeout_cause=HANDSHAKE_TIMED_OUT)
        ws = None
        try:
            try:
                status, reason, _, leftover, body = WebSocket.handshake(sock, self.target, path, self.origin, cookies, deadline)
            except (WebSocketClosed, ConnectionError):
                raise ProbeFailure(
                    CLOSED_BEFORE_ESTABLISHED,
                    "The connection closed before the WebSocket on %s was established (no HTTP answer) - the browser's "
                    "\"WebSocket is closed before the connection is established\". The proxy dropped the upgrade request: "
                    "check that it passes Upgrade and Connection for %s and does not strip them, and that "
                    "Tower's REMOTE_HOST_HEADERS includes HTTP_X_FORWARDED_FOR (role towerrelay.proxy.tower_settings)." % (path, path))
            except socket.timeout:
                raise ProbeFailure(
                    HANDSHAKE_TIMED_OUT,
                    "No answer to the WebSocket handshake on %s within %ss: the proxy holds the upgrade request "
                    "without completing it. %s" % (path, self.timeout, UPGRADE_FIX % (path, path)))
            record["handshake_status"] = status
            if status != 101:
                earlier_opened = any(p["handshake_status"] == 101 for p in self.result["paths"] if p is not record)
                raise handshake_failure(path, status, reason, body, self.echo, earlier_opened)
            ws = WebSocket(sock, leftover)
            self.talk(ws, path, cookies, record, deadline)
            if with_idle and self.params["idle"] > 0:
                self.idle_check(ws, path)
            record["ok"] = True
        finally:
            if ws is not None:
                ws.close()
            else:
                sock.close()

    def talk(self, ws, path, cookies, record, deadline):
        wanted = self.params["events"]
        subscribed_sent = False
        try:
            while True:
                message = ws.receive(deadline)
                if message is None:
                    continue
                try:
                    data = json.loads(message)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                if data.get("accept") is True and not subscribed_sent:
                    record["accepted"] = True
                    ws.send_text(json.dumps({
                        "xrftoken": cookies.get("csrftoken", ""),
                        "groups": {"jobs": ["status_changed", "summary"], "job_events": [str(self.params["job_id"])]},
                    }))
                    subscribed_sent = True
                elif "error" in data:
                    raise ProbeFailure(
                        SUBSCRIPTION_REFUSED,
                        "Tower refused the live-events subscription on %s (%r). The UI sends the csrftoken cookie "
                        "as xrftoken: the cookie must reach the browser and come back unchanged, so the proxy must "
                        "pass Set-Cookie and Cookie as they are and serve the page and the socket on the same host." % (path, data["error"]))
                elif "groups_current" in data:
                    record["subscribed"] = True
                    if wanted == 0:
                        return
                elif data.get("group_name") == "job_events" and "counter" in data:
                    counter = int(data["counter"])
                    if counter <= record["last_counter"]:
                        raise ProbeFailure(
                            EVENTS_OUT_OF_ORDER,
                            "Job events on %s arrived out of order (counter %d after %d): something between the "
                            "browser and Tower replays or reorders WebSocket messages." % (path, counter, record["last_counter"]))
                    record["last_counter"] = counter
                    record["events_seen"] += 1
                    if record["events_seen"] >= wanted:
                        return
        except socket.timeout:
            if not record["accepted"]:
                raise ProbeFailure(
                    NO_ACCEPT,
                    "The WebSocket on %s opened but Tower never sent its accept message within %ss: something between the "
                    "browser and Tower holds WebSocket messages back (buffering)." % (path, self.timeout))
            if not record["subscribed"]:
                raise ProbeFailure(
                    NO_EVENTS,
                    "Tower did not answer the live-events subscription on %s within %ss: messages from the browser "
                    "do not reach Tower, or its answers do not come back (a proxy buffering the tunnel)." % (path, self.timeout))
            raise ProbeFailure(
                NO_EVENTS,
                "The WebSocket on %s is open and subscribed, but only %d of %d job events arrived within %ss. If a "
                "job is running, the proxy holds the stream back (NGINX: proxy_buffering off for %s); else start a "
                "job and probe again." % (path, record["events_seen"], wanted, self.timeout, path))
        except ConnectionError as error:
            raise ProbeFailure(
                CLOSED_WHILE_STREAMING,
                "The WebSocket on %s broke after %d job events (%s): a proxy or firewall between the browser and "
                "Tower reset the connection." % (path, record["events_seen"], error))
        except WebSocketClosed as closed:
            phase = "after %d job events" % record["events_seen"] if record["subscribed"] else "before the subscription was confirmed"
            raise ProbeFailure(
                CLOSED_WHILE_STREAMING,
                "The WebSocket on %s was closed %s, by %s. Tower closes sockets it refuses; a proxy closes them on "
                "its timeouts or limits." % (path, phase, closed.describe()))

    def idle_check(self, ws, path):
        idle = self.params["idle"]
        started = time.monotonic()
        try:
            # Stay silent; answer what the server sends (events, pings) so the socket stays a normal one.
            while True:
                left = idle - (time.monotonic() - started)
                if left <= 0:
                    break
                if ws.wait_readable(left):
                    ws.receive(Deadline(self.timeout))
            token = os.urandom(8)
            ws.send(OP_PING, token)
            deadline = Deadline(self.timeout)
            while token not in ws.pongs:
                ws.receive(deadline)
            self.result["idle_survived"] = True
        except (WebSocketClosed, socket.timeout, OSError) as error:
            self.result["idle_survived"] = False
            after = int(time.monotonic() - started)
            fix = ("A quiet job sends nothing for minutes, so the proxy's read timeout ends live output: raise it far "
                   "above 60 s for the WebSocket paths (NGINX: proxy_read_timeout 3600s in location %s; Apache: "
                   "ProxyPass ... timeout=3600; the towerrelay.proxy roles default to one hour)." % path)
            # socket.timeout is an OSError: the socket stayed open but went deaf (the relay's probe:
            # dead-after-idle); a close or a reset is the proxy cutting it (idle-timeout).
            if isinstance(error, socket.timeout):
                raise ProbeFailure(
                    IDLE_DEAF,
                    "The WebSocket on %s looked open after %d s of silence, but nothing came through it any more (no "
                    "answer to a ping within %ss): something between the browser and Tower dropped the idle connection "
                    "without closing it. %s" % (path, idle, self.timeout, fix))
            how = error.describe() if isinstance(error, WebSocketClosed) else "a reset (%s)" % error
            raise ProbeFailure(
                IDLE_CUT,
                "The WebSocket on %s did not survive %d s of silence (cut after about %d s, by %s): a proxy read "
                "timeout shorter than Tower's quiet spells cuts live events. %s" % (path, idle, after, how, fix))

    def check_forwarded_for(self):
        if not self.params["check_forwarded_for"] or not self.result["upstream_headers"]:
            return
        if not self.result["upstream_forwarded_for"]:
            raise ProbeFailure(
                CLIENT_ADDRESS_NOT_FORWARDED,
                "Live events work, but no X-Forwarded-For reaches Tower, so Tower logs and authorises the proxy's "
                "address instead of the user's. Set it in the proxy (NGINX: proxy_set_header X-Forwarded-For; Apache "
                "adds it itself) and keep HTTP_X_FORWARDED_FOR first in Tower's REMOTE_HOST_HEADERS (role "
                "towerrelay.proxy.tower_settings).")

    def run(self):
        try:
            cookies = self.fetch_page()
            self.fetch_echo(cookies)
            for index, path in enumerate(self.params["paths"]):
                self.check_path(path, cookies, with_idle=(index == 0))
            self.check_forwarded_for()
            self.result["status"] = "ok"
            self.result["cause"] = None
            self.result["diagnosis"] = "Live events flow through %s: %s." % (self.target.origin + self.target.prefix, "; ".join(
                "%s upgraded, %d job events" % (p["path"], p["events_seen"]) for p in self.result["paths"]))
        except ProbeFailure as failure:
            self.result["cause"] = failure.cause
            self.result["diagnosis"] = failure.diagnosis
        first = self.result["paths"][0] if self.result["paths"] else None
        if first:
            self.result["handshake_status"] = first["handshake_status"]
            self.result["events_seen"] = first["events_seen"]
        return self.result


def echoed_headers(echoed):
    """Headers from the echo endpoint's JSON, names lower case: a dict or a list of name/value pairs."""
    if not isinstance(echoed, dict):
        return {}
    raw = echoed.get("headers")
    pairs = []
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict) and "name" in item:
                pairs.append((item["name"], item.get("value")))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                pairs.append((item[0], item[1]))
    headers = {}
    for name, value in pairs:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        name = str(name).lower()
        headers[name] = (headers[name] + ", " + str(value)) if name in headers else str(value)
    return headers


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            paths=dict(type="list", elements="str", default=["/websocket/", "/api/websocket/"]),
            events=dict(type="int", default=3),
            job_id=dict(type="int", default=1),
            timeout=dict(type="float", default=15),
            idle=dict(type="int", default=0),
            origin=dict(type="str"),
            cookies=dict(type="dict", default={}, no_log=True),
            check_forwarded_for=dict(type="bool", default=True),
            echo_path=dict(type="str", default="/api/v2/mock/echo/"),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for name in ("events", "idle"):
        if params[name] < 0:
            module.fail_json(msg="%s must be 0 or more, got %d" % (name, params[name]))
    if params["timeout"] <= 0:
        module.fail_json(msg="timeout must be more than 0 seconds, got %s" % params["timeout"])
    if not params["paths"]:
        module.fail_json(msg="paths must name at least one WebSocket path, e.g. /websocket/")
    try:
        probe = LiveEventsProbe(params)
    except (ValueError, OSError, ssl.SSLError) as error:
        module.fail_json(msg=str(error))
    result = probe.run()
    for warning in probe.warnings:
        module.warn(warning)
    if result["status"] != "ok":
        module.fail_json(msg=result["diagnosis"], changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()

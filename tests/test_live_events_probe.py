"""live_events_probe against the real mock Tower (the relay jar), directly and through real NGINX and
Apache: the roles' own templates (live events flow) and the misconfigurations people copy from blog
posts (the module must name what is wrong)."""
import json
import subprocess

from conftest import ROOT, VENV_BIN, ansible_env, free_port, render, run_module

NO_UPGRADE_NGINX = """
# The usual mistake: one location, HTTP/1.0 to the upstream, no Upgrade / Connection headers.
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://{upstream};
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
}}
"""

COOKIE_STRIPPING_NGINX = """
# WebSockets pass, but the Cookie header is dropped: AWX refuses the unauthenticated socket.
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://{upstream};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_set_header Cookie "";
    }}
}}
"""


def start_role_nginx(tmp_path, nginx, tower, **overrides):
    port = free_port()
    site = tmp_path / "tower.conf"
    vars = dict(nginx_http_port=port, nginx_listen_address="127.0.0.1", nginx_upstream_servers=[tower.hostport])
    vars.update(overrides)
    render("nginx", "tower.conf.j2", site, vars)
    nginx.write_main(site)
    serving = vars["nginx_https_port"] if vars.get("nginx_tls") else port
    nginx.start(serving)
    return serving


def start_hand_written_nginx(tmp_path, nginx, tower, template):
    port = free_port()
    site = tmp_path / "tower.conf"
    site.write_text(template.format(port=port, upstream=tower.hostport))
    nginx.write_main(site)
    nginx.start(port)
    return port


def test_direct_to_mock_tower_live_events_flow(mock_tower):
    result = run_module(url=mock_tower.url, check_forwarded_for=False, events=3)
    assert result["status"] == "ok", result["diagnosis"]
    assert result["cause"] is None
    assert result["changed"] is False
    assert result["handshake_status"] == 101
    assert result["events_seen"] == 3
    assert [p["path"] for p in result["paths"]] == ["/websocket/", "/api/websocket/"]
    assert all(p["ok"] and p["subscribed"] and p["events_seen"] == 3 for p in result["paths"])
    assert {"awx_sessionid", "csrftoken"} <= set(result["cookies"])
    assert result["upstream_host"] == mock_tower.hostport
    assert result["upstream_headers"]["cookie"] == "(redacted)"


def test_direct_to_mock_tower_reports_missing_forwarded_for(mock_tower):
    result = run_module(url=mock_tower.url, events=1)
    assert result["failed"] is True
    assert result["cause"] == "client-address-not-forwarded"
    assert "REMOTE_HOST_HEADERS" in result["msg"]
    assert result["paths"][0]["events_seen"] == 1  # live events themselves worked


def test_through_the_nginx_role_config_live_events_flow(tmp_path, nginx, mock_tower):
    port = start_role_nginx(tmp_path, nginx, mock_tower)
    result = run_module(url="http://127.0.0.1:%d" % port, events=3)
    assert result["status"] == "ok", result.get("msg")
    assert all(p["events_seen"] == 3 for p in result["paths"])
    assert result["upstream_forwarded_for"] == "127.0.0.1"
    assert result["upstream_host"] == "127.0.0.1:%d" % port
    assert result["upstream_headers"]["x-forwarded-proto"] == "http"


def test_nginx_without_upgrade_headers_is_diagnosed(tmp_path, nginx, mock_tower):
    port = start_hand_written_nginx(tmp_path, nginx, mock_tower, NO_UPGRADE_NGINX)
    result = run_module(url="http://127.0.0.1:%d" % port)
    assert result["failed"] is True
    assert result["cause"] == "upgrade-not-passed"
    assert result["handshake_status"] not in (0, 101)
    assert "did not pass the WebSocket upgrade on /websocket/" in result["msg"]
    assert "proxy_set_header Upgrade $http_upgrade" in result["msg"]


def test_nginx_dropping_cookies_is_diagnosed(tmp_path, nginx, mock_tower):
    port = start_hand_written_nginx(tmp_path, nginx, mock_tower, COOKIE_STRIPPING_NGINX)
    result = run_module(url="http://127.0.0.1:%d" % port)
    assert result["cause"] == "cookies-not-passed"
    assert result["handshake_status"] == 403
    assert "Cookie" in result["msg"]


def test_nginx_read_timeout_cutting_quiet_sockets_is_diagnosed(tmp_path, nginx, start_mock):
    # A quiet job: no events, no pings; NGINX cuts the socket after 2 s of silence.
    tower = start_mock("--event-interval-ms", "3600000", "--ping-interval-s", "0")
    port = start_role_nginx(tmp_path, nginx, tower, nginx_websocket_read_timeout="2s")
    result = run_module(url="http://127.0.0.1:%d" % port, events=0, idle=5, paths=["/websocket/"])
    assert result["cause"] == "idle-timeout", result.get("msg")
    assert result["idle_survived"] is False
    assert "proxy_read_timeout" in result["msg"]


def test_the_nginx_role_default_timeout_keeps_quiet_sockets(tmp_path, nginx, start_mock):
    tower = start_mock("--event-interval-ms", "3600000", "--ping-interval-s", "0")
    port = start_role_nginx(tmp_path, nginx, tower)
    result = run_module(url="http://127.0.0.1:%d" % port, events=0, idle=4, paths=["/websocket/"])
    assert result["status"] == "ok", result.get("msg")
    assert result["idle_survived"] is True


def test_no_events_is_diagnosed(start_mock):
    tower = start_mock("--event-interval-ms", "3600000", "--ping-interval-s", "0")
    result = run_module(url=tower.url, events=1, timeout=3, check_forwarded_for=False, paths=["/websocket/"])
    assert result["cause"] == "no-events"
    assert result["paths"][0]["subscribed"] is True
    assert "0 of 1 job events" in result["msg"]


def test_through_nginx_with_tls_checks_the_certificate(tmp_path, nginx, mock_tower, self_signed):
    cert, key = self_signed
    https_port = start_role_nginx(tmp_path, nginx, mock_tower, nginx_tls=True, nginx_https_port=free_port(),
                                  nginx_http_redirect=False, nginx_tls_cert=str(cert), nginx_tls_key=str(key))
    untrusted = run_module(url="https://127.0.0.1:%d" % https_port, events=1)
    assert untrusted["cause"] == "tls-certificate-untrusted"
    assert "not trusted" in untrusted["msg"]
    trusted = run_module(url="https://127.0.0.1:%d" % https_port, events=1, ca_path=str(cert))
    assert trusted["status"] == "ok", trusted.get("msg")
    assert trusted["upstream_headers"]["x-forwarded-proto"] == "https"


def test_through_the_apache_role_config_live_events_flow(tmp_path, apache, mock_tower):
    port = free_port()
    site = tmp_path / "tower.conf"
    render("apache", "tower.conf.j2", site, dict(apache_http_port=port, apache_listen_address="127.0.0.1",
                                                 apache_upstream_url=mock_tower.url))
    apache.write_main(site)
    apache.start(port)
    result = run_module(url="http://127.0.0.1:%d" % port, events=3)
    assert result["status"] == "ok", result.get("msg")
    assert all(p["events_seen"] == 3 for p in result["paths"])
    assert result["upstream_forwarded_for"] == "127.0.0.1"
    assert result["upstream_host"] == "127.0.0.1:%d" % port


def test_nothing_listening_is_diagnosed():
    port = free_port()
    result = run_module(url="http://127.0.0.1:%d" % port, timeout=3)
    assert result["cause"] == "unreachable"
    assert "127.0.0.1:%d" % port in result["msg"]


def test_bad_arguments_fail_clearly():
    result = run_module(url="ftp://tower.example.com")
    assert result["failed"] is True
    assert "http://host" in result["msg"]
    result = run_module(url="http://127.0.0.1:1", events=-1)
    assert "events must be 0 or more" in result["msg"]


def run_playbook(collections_path, tmp_path, body, *args):
    playbook = tmp_path / "probe.yml"
    playbook.write_text(body)
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)] + list(args),
                          capture_output=True, text=True, env=dict(ansible_env(collections_path), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default"))


def test_module_by_fqcn_in_check_mode_from_the_installed_collection(tmp_path, collections_path, mock_tower):
    body = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Probe
      towerrelay.proxy.live_events_probe:
        url: {url}
        events: 2
        check_forwarded_for: false
      register: probe
    - name: Show
      ansible.builtin.debug:
        msg: "RESULT {{{{ probe | to_json }}}}"
""".format(url=mock_tower.url)
    done = run_playbook(collections_path, tmp_path, body, "--check")
    assert done.returncode == 0, done.stdout + done.stderr
    line = [l for l in done.stdout.splitlines() if "RESULT " in l][0]
    result = json.loads(line.split("RESULT ", 1)[1].rstrip('"').encode().decode("unicode_escape"))
    assert result["status"] == "ok"
    assert result["changed"] is False
    assert "changed=0" in done.stdout and "failed=0" in done.stdout


def test_module_failure_in_a_play_shows_the_diagnosis(tmp_path, collections_path):
    body = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Probe
      towerrelay.proxy.live_events_probe:
        url: http://127.0.0.1:{port}
        timeout: 3
""".format(port=free_port())
    done = run_playbook(collections_path, tmp_path, body)
    assert done.returncode == 2
    assert "Nothing accepts connections on 127.0.0.1:" in done.stdout


CLOSING_NGINX = """
# The upgrade request is dropped without an answer (444: NGINX closes the connection).
server {{
    listen 127.0.0.1:{port};
    location /websocket/ {{
        return 444;
    }}
    location / {{
        proxy_pass http://{upstream};
        proxy_set_header Host $http_host;
    }}
}}
"""

STUCK_UPSTREAM_NGINX = """
# Live events go to an upstream that accepts and never answers: NGINX gives up with 504.
server {{
    listen 127.0.0.1:{port};
    location /websocket/ {{
        proxy_pass http://127.0.0.1:{stuck};
        proxy_read_timeout 1s;
    }}
    location / {{
        proxy_pass http://{upstream};
        proxy_set_header Host $http_host;
    }}
}}
"""


def test_connection_closed_before_the_websocket_is_established(tmp_path, nginx, mock_tower):
    port = start_hand_written_nginx(tmp_path, nginx, mock_tower, CLOSING_NGINX)
    result = run_module(url="http://127.0.0.1:%d" % port, paths=["/websocket/"])
    assert result["cause"] == "closed-before-established", result.get("msg")
    assert "WebSocket is closed before the connection is established" in result["msg"]


def test_handshake_504_from_a_stuck_upstream_is_diagnosed(tmp_path, nginx, mock_tower):
    import socket
    stuck = socket.socket()
    stuck.bind(("127.0.0.1", 0))
    stuck.listen(8)
    try:
        template = STUCK_UPSTREAM_NGINX.replace("{stuck}", str(stuck.getsockname()[1]))
        port = start_hand_written_nginx(tmp_path, nginx, mock_tower, template)
        result = run_module(url="http://127.0.0.1:%d" % port, paths=["/websocket/"])
    finally:
        stuck.close()
    assert result["cause"] == "handshake-timed-out", result.get("msg")
    assert result["handshake_status"] == 504
    assert "Unexpected response code: 504" in result["msg"]


def test_a_redirecting_url_is_diagnosed(tmp_path, nginx, mock_tower, self_signed):
    cert, key = self_signed
    http_port = free_port()
    start_role_nginx(tmp_path, nginx, mock_tower, nginx_tls=True, nginx_https_port=free_port(),
                     nginx_http_port=http_port, nginx_tls_cert=str(cert), nginx_tls_key=str(key))
    result = run_module(url="http://127.0.0.1:%d" % http_port)
    assert result["cause"] == "page-error"
    assert "a redirect to https://127.0.0.1:" in result["msg"]


# -- Cause codes: the same as the relay's `probe --json` --------------------------------------------

def test_cause_codes_are_the_relay_probes():
    """Every cause the module can report is one of the Java probe's Cause codes, and the module
    covers all of them (the module is pure Python, so the codes are written out there)."""
    import re
    java = (ROOT / "java-agent" / "src" / "main" / "java" / "io" / "towerrelay" / "probe" / "Cause.java").read_text()
    java_codes = set(re.findall(r'^\s*[A-Z_]+\("([a-z-]+)"\)', java, re.M))
    module = (ROOT / "collection" / "plugins" / "modules" / "live_events_probe.py").read_text()
    module_codes = set(re.findall(r'^[A-Z_]+ = "([a-z]+(?:-[a-z]+)+|[a-z]+)"$', module, re.M))
    used = set(re.findall(r"ProbeFailure\(\s*([A-Z_]+)", module))
    assert java_codes, "no codes read from Cause.java"
    assert module_codes <= java_codes, module_codes - java_codes
    # remote-host-headers-missing needs Tower's settings API with credentials: the relay's probe only.
    assert java_codes - module_codes == {"remote-host-headers-missing"}
    documented = set(re.findall(r"C\(([a-z]+(?:-[a-z]+)+)\)", module.split('RETURN = r"""')[1].split('"""')[0]))
    assert module_codes <= documented | {"unreachable"}, module_codes - documented
    assert used, "no ProbeFailure(CONSTANT, ...) found"


HIDDEN_COOKIES_NGINX = """
# The page's Set-Cookie headers are hidden: the browser never gets a session.
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://{upstream};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
        proxy_hide_header Set-Cookie;
    }}
}}
"""

ONLY_OLD_PATH_NGINX = """
# Written for Tower before AWX 23.8: /websocket/ passes, /api/websocket/ is not routed.
server {{
    listen 127.0.0.1:{port};
    location /api/websocket/ {{
        return 404;
    }}
    location / {{
        proxy_pass http://{upstream};
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }}
}}
"""

DEAD_UPSTREAM_NGINX = """
# Live events go to an upstream nobody listens on: NGINX answers 502.
server {{
    listen 127.0.0.1:{port};
    location /websocket/ {{
        proxy_pass http://127.0.0.1:{dead};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "upgrade";
    }}
    location / {{
        proxy_pass http://{upstream};
        proxy_set_header Host $http_host;
    }}
}}
"""


def test_no_session_cookie_is_not_logged_in(tmp_path, nginx, mock_tower):
    port = start_hand_written_nginx(tmp_path, nginx, mock_tower, HIDDEN_COOKIES_NGINX)
    result = run_module(url="http://127.0.0.1:%d" % port)
    assert result["cause"] == "not-logged-in", result.get("msg")
    assert result["cookies"] == []
    assert "awx_sessionid" in result["msg"]


def test_a_missing_api_websocket_route_is_path_not_routed(tmp_path, nginx, mock_tower):
    port = start_hand_written_nginx(tmp_path, nginx, mock_tower, ONLY_OLD_PATH_NGINX)
    result = run_module(url="http://127.0.0.1:%d" % port, events=1)
    assert result["cause"] == "path-not-routed", result.get("msg")
    assert [p["handshake_status"] for p in result["paths"]] == [101, 404]
    assert "/api/websocket/" in result["msg"]


def test_handshake_502_is_handshake_refused(tmp_path, nginx, mock_tower):
    template = DEAD_UPSTREAM_NGINX.replace("{dead}", str(free_port()))
    port = start_hand_written_nginx(tmp_path, nginx, mock_tower, template)
    result = run_module(url="http://127.0.0.1:%d" % port, paths=["/websocket/"])
    assert result["cause"] == "handshake-refused", result.get("msg")
    assert result["handshake_status"] == 502
    assert "could not reach Tower" in result["msg"]


def test_the_wrong_scheme_is_tls_scheme_mismatch(tmp_path, nginx, mock_tower, self_signed):
    cert, key = self_signed
    http_port = free_port()  # NGINX's plain port (the redirect), beside its TLS port
    https_port = start_role_nginx(tmp_path, nginx, mock_tower, nginx_tls=True, nginx_https_port=free_port(),
                                  nginx_http_port=http_port, nginx_tls_cert=str(cert), nginx_tls_key=str(key))
    plain_to_tls = run_module(url="http://127.0.0.1:%d" % https_port, ca_path=str(cert))
    assert plain_to_tls["cause"] == "tls-scheme-mismatch", plain_to_tls.get("msg")
    assert "URL says http://" in plain_to_tls["msg"]
    tls_to_plain = run_module(url="https://127.0.0.1:%d" % http_port, ca_path=str(cert), timeout=5)
    assert tls_to_plain["cause"] == "tls-scheme-mismatch", tls_to_plain.get("msg")
    assert "does not speak TLS" in tls_to_plain["msg"]


def test_a_certificate_for_another_name_is_tls_hostname_mismatch(tmp_path, nginx, mock_tower):
    cert, key = tmp_path / "other.crt", tmp_path / "other.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=tower.example.test", "-addext", "subjectAltName=DNS:tower.example.test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    https_port = start_role_nginx(tmp_path, nginx, mock_tower, nginx_tls=True, nginx_https_port=free_port(),
                                  nginx_http_redirect=False, nginx_tls_cert=str(cert), nginx_tls_key=str(key))
    result = run_module(url="https://127.0.0.1:%d" % https_port, ca_path=str(cert))
    assert result["cause"] == "tls-hostname-mismatch", result.get("msg")
    assert "does not match the host 127.0.0.1" in result["msg"]

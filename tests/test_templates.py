"""The role templates render to configs that real NGINX (`nginx -t`) and Apache (`apachectl configtest`)
accept, default and TLS variants, and say what the roles promise (WebSocket paths, timeouts, TLS)."""
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from conftest import free_port, render, render_var


def nginx_render(tmp_path, nginx, **overrides):
    site = tmp_path / "tower.conf"
    text = render("nginx", "tower.conf.j2", site, overrides)
    nginx.write_main(site)
    return text


def test_nginx_default_config_passes_nginx_t(tmp_path, nginx):
    text = nginx_render(tmp_path, nginx, nginx_http_port=free_port())
    done = nginx.test_config()
    assert done.returncode == 0, done.stderr
    assert "map $http_upgrade $tower_connection_upgrade" in text
    for path in ("/websocket/", "/api/websocket/"):
        assert "location %s {" % path in text
    assert "location ^~ /websocket/relay/ {" in text
    assert "proxy_read_timeout 3600s;" in text
    assert "proxy_set_header Host $http_host;" in text
    # The seed's bugs: no `ssl on`, and no proxy_pass to the server's own public name.
    assert "ssl on" not in text
    assert "proxy_pass http://tower.example.com" not in text


def test_nginx_tls_config_passes_nginx_t(tmp_path, nginx, self_signed):
    cert, key = self_signed
    text = nginx_render(tmp_path, nginx, nginx_tls=True, nginx_tls_cert=str(cert), nginx_tls_key=str(key),
                        nginx_http_port=free_port(), nginx_https_port=free_port(), nginx_listen_address="127.0.0.1",
                        nginx_trusted_proxies=["127.0.0.0/8", "10.0.0.0/8"])
    done = nginx.test_config()
    assert done.returncode == 0, done.stderr
    # HTTP/2 is on by default; rendered without the role's `nginx -v`, the pre-1.25.1 form.
    assert " ssl http2 default_server;" in text
    assert "return 301 https://$host:" in text
    assert "geo $remote_addr $tower_trusted_proxy" in text


def test_nginx_https_upstream_passes_nginx_t(tmp_path, nginx):
    nginx_render(tmp_path, nginx, nginx_http_port=free_port(), nginx_upstream_scheme="https",
                 nginx_upstream_servers=["localhost:8443"])
    done = nginx.test_config()
    assert done.returncode == 0, done.stderr


def test_nginx_rejects_what_the_role_would_roll_back(tmp_path, nginx):
    """The handler chain relies on `nginx -t` failing with a message that names the problem."""
    nginx_render(tmp_path, nginx, nginx_http_port=free_port(), nginx_tls=True,
                 nginx_tls_cert=str(tmp_path / "missing.crt"), nginx_tls_key=str(tmp_path / "missing.key"),
                 nginx_https_port=free_port())
    done = nginx.test_config()
    assert done.returncode != 0
    assert "missing.crt" in done.stderr


NGINX_TRIXIE = "1.26.3"  # Debian 13's NGINX: `http2 on;`, and a warning for `listen ... http2`


def nginx_conf_test_in_image(nginx, image_tag_file, *mounts):
    """`nginx -t` of the same files (at the same paths) with the NGINX of a local test image."""
    tag_file = Path(__file__).resolve().parent.parent / "build" / image_tag_file
    if not tag_file.is_file() or not shutil.which("docker"):
        if os.environ.get("CI") == "true":
            pytest.fail("no test image (%s): run bash scripts/test-env.sh" % tag_file)
        pytest.skip("no test image (%s): run bash scripts/test-env.sh" % tag_file)
    # The prefix's parent holds the rendered server block; nginx -t writes its error log in the prefix.
    volumes = ["-v", "%s:%s" % (nginx.prefix.parent, nginx.prefix.parent)]
    for path in mounts:
        volumes += ["-v", "%s:%s:ro" % (path, path)]
    return subprocess.run(["docker", "run", "--rm", "--network", "none", *volumes, tag_file.read_text().strip(),
                           "nginx", "-t", "-p", str(nginx.prefix), "-c", str(nginx.prefix / "nginx.conf")],
                          capture_output=True, text=True, timeout=120)


def nginx_tls_render(tmp_path, nginx, self_signed, **overrides):
    cert, key = self_signed
    return nginx_render(tmp_path, nginx, **dict(dict(
        nginx_tls=True, nginx_tls_cert=str(cert), nginx_tls_key=str(key), nginx_listen_address="127.0.0.1",
        nginx_http_port=free_port(), nginx_https_port=free_port()), **overrides))


def https_server_block(text):
    return text[text.index("server {"):text.index("server_name")]


def test_nginx_http2_before_1_25_1_is_a_listen_parameter_without_warnings(tmp_path, nginx, self_signed):
    text = nginx_tls_render(tmp_path, nginx, self_signed, __nginx_version="1.22.1")
    done = nginx.test_config()  # this machine's NGINX: Debian 12's 1.22
    assert done.returncode == 0, done.stderr
    assert "[warn]" not in done.stderr, done.stderr
    tls_server = https_server_block(text)
    assert re.search(r"listen 127\.0\.0\.1:\d+ ssl http2 default_server;", tls_server)
    assert "http2 on;" not in text
    # The HTTP-to-HTTPS redirect stays plain HTTP/1.1.
    redirect = text[text.rindex("server {"):]
    assert "http2" not in redirect


def test_nginx_http2_from_1_25_1_is_the_http2_directive_without_warnings(tmp_path, nginx, self_signed):
    text = nginx_tls_render(tmp_path, nginx, self_signed, __nginx_version=NGINX_TRIXIE)
    tls_server = https_server_block(text)
    assert "http2 on;" in tls_server
    assert not re.search(r"listen [^;]*http2", text)
    done = nginx_conf_test_in_image(nginx, "test-image-trixie.tag", self_signed[0].parent)  # Debian 13's 1.26
    assert done.returncode == 0, done.stderr
    assert "[warn]" not in done.stderr, done.stderr


def test_nginx_1_26_warns_about_the_old_form_so_the_version_matters(tmp_path, nginx, self_signed):
    """The check above can fail: the pre-1.25.1 form on Debian 13's NGINX is what it warns about."""
    nginx_tls_render(tmp_path, nginx, self_signed, __nginx_version="1.22.1")
    done = nginx_conf_test_in_image(nginx, "test-image-trixie.tag", self_signed[0].parent)
    assert done.returncode == 0, done.stderr
    assert '"listen ... http2" directive is deprecated' in done.stderr


def test_nginx_1_22_refuses_the_new_form_so_the_version_matters(tmp_path, nginx, self_signed):
    nginx_tls_render(tmp_path, nginx, self_signed, __nginx_version=NGINX_TRIXIE)
    done = nginx.test_config()
    assert done.returncode != 0
    assert 'unknown directive "http2"' in done.stderr


@pytest.mark.parametrize("version", ["1.22.1", NGINX_TRIXIE])
def test_nginx_http2_off_is_http_1_1_only(tmp_path, nginx, self_signed, version):
    text = nginx_tls_render(tmp_path, nginx, self_signed, nginx_http2=False, __nginx_version=version)
    assert "http2" not in text
    done = nginx.test_config()
    assert done.returncode == 0, done.stderr


def test_nginx_plain_http_has_no_http2(tmp_path, nginx):
    text = nginx_render(tmp_path, nginx, nginx_http_port=free_port(), __nginx_version=NGINX_TRIXIE)
    assert nginx.test_config().returncode == 0
    assert "http2" not in text


def apache_render(tmp_path, apache, tls=False, **overrides):
    site = tmp_path / "tower.conf"
    text = render("apache", "tower.conf.j2", site, overrides)
    apache.write_main(site, tls=tls)
    return text


def test_apache_default_config_passes_configtest(tmp_path, apache):
    text = apache_render(tmp_path, apache, apache_http_port=free_port())
    done = apache.configtest()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ProxyPreserveHost On" in text
    assert "ProxyPass /websocket/ http://127.0.0.1:8052/websocket/ upgrade=websocket timeout=3600" in text
    assert "ProxyPass /api/websocket/ http://127.0.0.1:8052/api/websocket/ upgrade=websocket timeout=3600" in text
    assert "ProxyPass /websocket/relay/ !" in text
    assert 'RequestHeader set X-Forwarded-Proto "http"' in text


def test_apache_tls_config_passes_configtest(tmp_path, apache, self_signed):
    cert, key = self_signed
    text = apache_render(tmp_path, apache, tls=True, apache_tls=True, apache_tls_cert=str(cert),
                         apache_tls_key=str(key), apache_http_port=free_port(), apache_https_port=free_port(),
                         apache_trusted_proxies=["127.0.0.0/8"])
    done = apache.configtest()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SSLEngine on" in text
    assert "RewriteRule ^ https://%{SERVER_NAME}:" in text
    assert 'RequestHeader set X-Forwarded-Proto "https"' in text


def apache_vhosts(text):
    """The rendered <VirtualHost> blocks, by port."""
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r"<VirtualHost [^:]+:(\d+)>(.*?)</VirtualHost>", text, re.S)}


def apache_tls_render(tmp_path, apache, self_signed, **overrides):
    cert, key = self_signed
    http_port, https_port = free_port(), free_port()
    text = apache_render(tmp_path, apache, tls=True, **dict(dict(
        apache_tls=True, apache_tls_cert=str(cert), apache_tls_key=str(key), apache_listen_address="127.0.0.1",
        apache_http_port=http_port, apache_https_port=https_port), **overrides))
    vhosts = apache_vhosts(text)
    return vhosts[https_port], vhosts[http_port]


def test_apache_http2_on_the_tls_vhost_only_with_h2_websockets_off(tmp_path, apache, self_signed):
    # This machine's Apache (Debian's 2.4.71) knows H2WebSockets (mod_http2 in 2.4.58+).
    tls_vhost, redirect = apache_tls_render(tmp_path, apache, self_signed, __apache_version="2.4.71")
    done = apache.configtest()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Protocols h2 http/1.1" in tls_vhost
    assert "H2WebSockets off" in tls_vhost
    assert "Protocols http/1.1" in redirect
    assert not re.search(r"\bh2\b", redirect)


def test_apache_before_2_4_58_gets_no_h2_websockets_directive(tmp_path, apache, self_signed):
    tls_vhost, _ = apache_tls_render(tmp_path, apache, self_signed, __apache_version="2.4.57")
    assert "Protocols h2 http/1.1" in tls_vhost
    assert "H2WebSockets" not in tls_vhost


def test_apache_http2_off_is_http_1_1_only(tmp_path, apache, self_signed):
    tls_vhost, redirect = apache_tls_render(tmp_path, apache, self_signed, apache_http2=False,
                                            __apache_version="2.4.71")
    done = apache.configtest()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Protocols http/1.1" in tls_vhost
    assert not re.search(r"\bh2\b|H2WebSockets", tls_vhost + redirect)


def test_apache_plain_http_vhost_stays_http_1_1(tmp_path, apache):
    text = apache_render(tmp_path, apache, apache_http_port=free_port(), __apache_version="2.4.71")
    assert apache.configtest().returncode == 0
    assert "Protocols http/1.1" in text
    assert not re.search(r"\bh2\b", text)


def test_apache_https_upstream_passes_configtest(tmp_path, apache):
    text = apache_render(tmp_path, apache, tls=True, apache_http_port=free_port(),
                         apache_upstream_url="https://localhost:8443")
    done = apache.configtest()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SSLProxyVerify require" in text


def test_apache_rewrite_form_for_old_apache_passes_configtest(tmp_path, apache):
    text = apache_render(tmp_path, apache, apache_http_port=free_port(), apache_websocket_mode="rewrite")
    done = apache.configtest()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "RewriteRule ^(/websocket/.*)$ ws://127.0.0.1:8052$1 [P,L]" in text
    assert "upgrade=websocket" not in text


def skip_unless_check_config(done):
    """Until the relay core lands, the jar's check-config is the scaffold that takes no FILE."""
    if "(being built)" in done.stdout + done.stderr:
        pytest.skip("this jar's check-config is the scaffold (relay core not merged yet)")


# What the role needs besides its defaults: where Tower is.
RELAY = {"relay_upstream_url": "http://127.0.0.1:8052"}
NODES = {"relay_upstream_url": "", "relay_upstream_nodes": [{"url": "http://tower1.internal:8052"},
                                                            {"url": "http://tower2.internal:8052", "drain": True}]}


def relay_render(tmp_path, template, **overrides):
    return render("relay", template, tmp_path / template.removesuffix(".j2"), dict(RELAY, **overrides))


def check_config(relay_jar, conf):
    return subprocess.run(["java", "-jar", str(relay_jar), "check-config", str(conf)], capture_output=True, text=True)


def test_relay_config_passes_check_config(tmp_path, relay_jar):
    relay_render(tmp_path, "relay.yml.j2", relay_websocket_allowed_origins=["https://tower.example.com"],
                 relay_forwarded_trusted_proxies=["10.0.0.0/8"], relay_io_threads=2)
    done = check_config(relay_jar, tmp_path / "relay.yml")
    skip_unless_check_config(done)
    assert done.returncode == 0, done.stdout + done.stderr


def test_relay_check_config_rejects_a_bad_value_with_file_and_line(tmp_path, relay_jar):
    """The role's validate step shows this message when a variable makes a config the relay refuses."""
    relay_render(tmp_path, "relay.yml.j2", relay_websocket_idle_timeout="forever")
    done = check_config(relay_jar, tmp_path / "relay.yml")
    skip_unless_check_config(done)
    assert done.returncode == 2
    assert "relay.yml" in done.stderr and "idle-timeout" in done.stderr


def test_relay_config_starts_one_io_thread_per_core_unless_told(tmp_path):
    assert yaml.safe_load(relay_render(tmp_path, "relay.yml.j2"))["io-threads"] == "auto"
    assert yaml.safe_load(relay_render(tmp_path, "relay.yml.j2", relay_io_threads=1))["io-threads"] == 1


def test_relay_config_names_one_node_by_default(tmp_path):
    conf = yaml.safe_load(relay_render(tmp_path, "relay.yml.j2"))
    assert conf["upstream"]["url"] == "http://127.0.0.1:8052"
    assert "nodes" not in conf["upstream"] and "health-check" not in conf["upstream"]
    assert "proxy-protocol" not in conf["listen"]


def test_relay_config_lists_cluster_nodes_with_drain_and_health_checks(tmp_path):
    conf = yaml.safe_load(relay_render(tmp_path, "relay.yml.j2", relay_health_check_interval="3s",
                                       relay_health_check_fall=3, **NODES))
    upstream = conf["upstream"]
    assert "url" not in upstream
    assert upstream["nodes"] == [{"url": "http://tower1.internal:8052", "drain": False},
                                 {"url": "http://tower2.internal:8052", "drain": True}]
    assert upstream["health-check"] == {"path": "/api/v2/ping/", "interval": "3s", "fall": 3, "rise": 2}


def test_relay_config_verifies_https_nodes(tmp_path):
    conf = yaml.safe_load(relay_render(tmp_path, "relay.yml.j2", relay_upstream_url="",
                                       relay_upstream_nodes=[{"url": "https://a.internal"}, {"url": "https://b.internal"}],
                                       relay_upstream_ca_file="/etc/ssl/tower-ca.pem"))
    assert conf["upstream"]["tls-verify"] is True
    assert conf["upstream"]["ca-file"] == "/etc/ssl/tower-ca.pem"


def test_relay_config_offers_http2_by_default_and_can_turn_it_off(tmp_path):
    assert yaml.safe_load(relay_render(tmp_path, "relay.yml.j2"))["listen"]["http2"] is True
    conf = yaml.safe_load(relay_render(tmp_path, "relay.yml.j2", relay_http2=False))
    assert conf["listen"]["http2"] is False


def test_relay_config_turns_on_the_proxy_protocol(tmp_path):
    conf = yaml.safe_load(relay_render(tmp_path, "relay.yml.j2", relay_proxy_protocol=True,
                                       relay_forwarded_trusted_proxies=["10.0.0.5/32"]))
    assert conf["listen"]["proxy-protocol"] is True
    assert conf["forwarded"]["trusted-proxies"] == ["10.0.0.5/32"]


def test_relay_cluster_config_passes_check_config(tmp_path, relay_jar):
    relay_render(tmp_path, "relay.yml.j2", relay_proxy_protocol=True, relay_forwarded_trusted_proxies=["127.0.0.1/32"],
                 **NODES)
    done = check_config(relay_jar, tmp_path / "relay.yml")
    skip_unless_check_config(done)
    if done.returncode == 2 and re.search(r"upstream\.nodes|health-check|proxy-protocol", done.stderr) \
            and re.search(r"unknown|not a known|unrecognized", done.stderr, re.I):
        pytest.skip("this jar predates upstream.nodes / listen.proxy-protocol (issues 13, 14): " + done.stderr.strip())
    assert done.returncode == 0, done.stdout + done.stderr


def test_relay_check_config_runs_as_the_service_user(tmp_path, relay_jar, self_signed):
    """The role's validate command: a key the service's user cannot read fails before the config is installed,
    although root (who renders the file) can read it."""
    if os.geteuid() != 0:
        pytest.skip("runs check-config as another user: needs root")
    cert, key = self_signed
    # A directory every user may enter (pytest's own are root's alone), with the key in a root-only one.
    work = Path(tempfile.mkdtemp(prefix="relay-check-config-", dir="/tmp"))
    try:
        work.chmod(0o755)
        shutil.copy(cert, work / "tower.crt")
        (work / "tower.crt").chmod(0o644)
        private = work / "private"
        private.mkdir(mode=0o700)
        shutil.copy(key, private / "tower.key")
        conf = work / "relay.yml"
        relay_render(work, "relay.yml.j2", relay_listen="127.0.0.1:%d" % free_port(), relay_tls_cert=str(work / "tower.crt"),
                     relay_tls_key=str(private / "tower.key"))
        conf.chmod(0o600)  # like Ansible's temporary file: root's alone
        command = render_var("relay", "__relay_check_config",
                             dict(RELAY, relay_user="nobody", relay_group="nogroup", relay_config_dir=str(work),
                                  relay_java_bin=shutil.which("java"), relay_install_method="jar"))
        # the jar the service would run: here the one under test
        argv = [str(relay_jar) if arg == "/opt/tower-relay/tower-relay.jar" else arg.replace("%s", str(conf))
                for arg in shlex.split(command)]
        refused = subprocess.run(argv, capture_output=True, text=True)
        skip_unless_check_config(refused)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "listen.tls.key" in refused.stderr and str(private / "tower.key") in refused.stderr
        assert not list(work.glob(".relay.yml.check.*"))  # the copy it checked is gone

        # the same key made readable for that user: the config passes
        private.chmod(0o755)
        (private / "tower.key").chmod(0o644)
        passed = subprocess.run(argv, capture_output=True, text=True)
        assert passed.returncode == 0, passed.stdout + passed.stderr
    finally:
        shutil.rmtree(work)


def test_relay_unit_is_sandboxed(tmp_path):
    unit = relay_render(tmp_path, "tower-relay.service.j2", relay_install_method="jar")
    for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                 "CapabilityBoundingSet=\n", "User=tower-relay", "SyslogIdentifier=tower-relay\n"):
        assert line in unit
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" not in unit
    assert re.search(r"^ExecStart=/usr/bin/java -XX:\+ExitOnOutOfMemoryError -Xms64m -Xmx256m -XX:\+UseSerialGC "
                     r"-jar /opt/tower-relay/tower-relay.jar serve --config /etc/tower-relay/relay.yml$", unit, re.M), unit


def test_relay_unit_grants_only_bind_capability_below_1024(tmp_path):
    unit = relay_render(tmp_path, "tower-relay.service.j2", relay_listen="0.0.0.0:443")
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" in unit
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in unit


def test_relay_package_dropin_sets_the_role_jvm_options_and_drops_capabilities(tmp_path):
    dropin = relay_render(tmp_path, "tower-relay-dropin.conf.j2", relay_install_method="deb",
                          relay_java_opts=["-Xmx512m"])
    assert 'Environment="JAVA_OPTS=-Xmx512m -XX:+ExitOnOutOfMemoryError"\n' in dropin
    assert "CapabilityBoundingSet=\nAmbientCapabilities=\n" in dropin
    # the package's user, ExecStart (/usr/bin/tower-relay, which reads JAVA_OPTS) and sandbox stay
    assert "User=" not in dropin and "ExecStart" not in dropin


def test_relay_package_dropin_changes_user_config_and_low_port_capability(tmp_path):
    dropin = relay_render(tmp_path, "tower-relay-dropin.conf.j2", relay_install_method="deb",
                          relay_listen="0.0.0.0:443", relay_user="relay", relay_group="relay",
                          relay_config_dir="/srv/relay")
    assert "User=relay\nGroup=relay\n" in dropin
    assert ("ExecStartPre=\nExecStartPre=/usr/bin/java -jar /usr/share/tower-relay/tower-relay.jar check-config "
            "/srv/relay/relay.yml\nExecStart=\nExecStart=/usr/bin/java $JAVA_OPTS -jar "
            "/usr/share/tower-relay/tower-relay.jar serve --config /srv/relay/relay.yml\n") in dropin
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE" in dropin

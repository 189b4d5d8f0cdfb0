"""Each role's meta/argument_specs.yml rejects a bad variable before the role does anything, with a
message that names the variable; cross-variable checks fail with a message saying what to set."""
import json
import subprocess

import pytest

from conftest import ROOT, VENV_BIN, ansible_env


def include_role(collections_path, tmp_path, role, variables, gather=False):
    """Runs the role on this machine: every case must fail before the role changes anything."""
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(dict(variables, role_under_test=role, gather=gather)))
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(ROOT / "tests" / "playbooks" / "include_role.yml"), "-e", "@" + str(extra)],
                          capture_output=True, text=True, env=ansible_env(collections_path))


@pytest.mark.parametrize("role, variables, expected", [
    ("relay", {"relay_access_log": "verbose"}, "value of relay_access_log must be one of: off, combined, json, got: verbose"),
    ("relay", {"relay_upstream_pool_size": "many"}, "relay_upstream_pool_size"),
    ("relay", {"relay_service_state": "restarted"}, "value of relay_service_state must be one of: started, stopped"),
    ("relay", {"relay_state": "gone"}, "value of relay_state must be one of: present, absent, got: gone"),
    ("relay", {"relay_install_method": "rpm"}, "value of relay_install_method must be one of: auto, deb, jar, got: rpm"),
    ("relay", {"relay_upstream_nodes": [{"drain": True}]}, "missing required arguments: url found in relay_upstream_nodes"),
    ("relay", {"relay_upstream_nodes": [{"url": "http://a:8052", "drain": "soon"}]}, "relay_upstream_nodes"),
    ("relay", {"relay_health_check_fall": "twice"}, "relay_health_check_fall"),
    ("relay", {"relay_proxy_protocol": "maybe"}, "relay_proxy_protocol"),
    ("relay", {"relay_http2": "sometimes"}, "relay_http2"),
    ("relay", {"relay_io_threads": "many"}, "relay_io_threads"),
    ("nginx", {"nginx_http2": "sometimes"}, "nginx_http2"),
    ("apache", {"apache_http2": "sometimes"}, "apache_http2"),
    ("nginx", {"nginx_http_port": "eighty"}, "nginx_http_port"),
    ("nginx", {"nginx_upstream_scheme": "ftp"}, "value of nginx_upstream_scheme must be one of: http, https, got: ftp"),
    ("nginx", {"nginx_tls_protocols": ["SSLv3"]}, "nginx_tls_protocols"),
    ("apache", {"apache_websocket_mode": "h2c"}, "value of apache_websocket_mode must be one of: auto, upgrade, rewrite, got: h2c"),
    ("apache", {"apache_websocket_timeout": "1h"}, "apache_websocket_timeout"),
    ("tower_settings", {"tower_settings_manage": ["SECRET_KEY"]}, "tower_settings_manage"),
    ("tower_settings", {"tower_settings_validate_certs": "maybe"}, "tower_settings_validate_certs"),
])
def test_argument_validation_rejects_a_bad_variable(collections_path, tmp_path, role, variables, expected):
    done = include_role(collections_path, tmp_path, role, variables)
    assert done.returncode == 2, done.stdout
    assert "Validating arguments against arg spec" in done.stdout
    assert expected in done.stdout


UPSTREAM = {"relay_upstream_url": "http://tower.internal:8052"}


@pytest.mark.parametrize("variables, expected", [
    ({}, "Set relay_upstream_url (one Tower node, e.g. http://tower.internal:8052) or relay_upstream_nodes (several)"),
    (dict(UPSTREAM, relay_upstream_nodes=[{"url": "http://tower1.internal:8052"}]),
     "relay_upstream_url and relay_upstream_nodes are both set: set relay_upstream_url for one Tower node, "
     "or relay_upstream_nodes for several, not both"),
    ({"relay_upstream_nodes": [{"url": "http://a:8052"}, {"url": "http://a:8052", "drain": True}]},
     "relay_upstream_nodes names a URL twice"),
    (dict(UPSTREAM, relay_io_threads=2000), "relay_io_threads must be 0 (one per core) or 1-1024, got 2000"),
])
def test_relay_needs_tower_named_once(collections_path, tmp_path, variables, expected):
    done = include_role(collections_path, tmp_path, "relay", variables, gather=True)
    assert done.returncode == 2, done.stdout
    assert expected in done.stdout


@pytest.mark.parametrize("kind", ["jar", "deb"])
def test_relay_refuses_a_download_without_checksum(collections_path, tmp_path, kind):
    done = include_role(collections_path, tmp_path, "relay",
                        dict(UPSTREAM, **{"relay_%s_url" % kind: "https://downloads.example.com/tower-relay.%s" % kind}),
                        gather=True)
    assert done.returncode == 2, done.stdout
    assert "relay_%s_url is set: set relay_%s_checksum too" % (kind, kind) in done.stdout


def test_relay_says_how_to_build_a_missing_jar(collections_path, tmp_path):
    done = include_role(collections_path, tmp_path, "relay",
                        dict(UPSTREAM, relay_install_method="jar", relay_jar_src=str(tmp_path / "nope.jar")), gather=True)
    assert done.returncode == 2, done.stdout
    assert "No relay jar at %s" % (tmp_path / "nope.jar") in done.stdout
    assert "mvn -B -ntp package -DskipTests" in done.stdout


def test_relay_says_how_to_build_a_missing_package(collections_path, tmp_path):
    deb = tmp_path / "tower-relay_9.9.9_all.deb"
    # (These runs target this machine: each must stop in the role's preflight, before it installs anything.)
    done = include_role(collections_path, tmp_path, "relay",
                        dict(UPSTREAM, relay_deb_src=str(deb), relay_jar_src=str(tmp_path / "nope.jar")), gather=True)
    assert done.returncode == 2, done.stdout
    # auto: no package given (relay_deb_src is not a file) means the jar
    assert "No relay jar at %s" % (tmp_path / "nope.jar") in done.stdout
    done = include_role(collections_path, tmp_path, "relay",
                        dict(UPSTREAM, relay_install_method="deb", relay_deb_src=str(deb)), gather=True)
    assert done.returncode == 2, done.stdout
    assert "No relay package at %s on the controller" % deb in done.stdout
    assert "bash scripts/package.sh" in done.stdout


def test_tower_settings_needs_a_password(collections_path, tmp_path):
    done = include_role(collections_path, tmp_path, "tower_settings", {})
    assert done.returncode == 2, done.stdout
    assert "Set tower_settings_username and tower_settings_password" in done.stdout


def test_tower_settings_password_is_not_logged(collections_path, tmp_path):
    done = include_role(collections_path, tmp_path, "tower_settings",
                        {"tower_settings_password": "s3cret-pass", "tower_settings_validate_certs": "maybe"})
    assert done.returncode == 2
    assert "s3cret-pass" not in done.stdout + done.stderr

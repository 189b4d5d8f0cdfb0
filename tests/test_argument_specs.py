"""Each role's meta/argument_specs.yml rejects a bad variable before the role does anything, with a
message that names the variable; cross-variable checks fail with a message saying what to set."""
import json
import subprocess

import pytest

from conftest import ROOT, VENV_BIN, ansible_env


def include_role(collections_path, tmp_path, role, variables, gather=False):
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(dict(variables, role_under_test=role, gather=gather)))
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(ROOT / "tests" / "playbooks" / "include_role.yml"), "-e", "@" + str(extra)],
                          capture_output=True, text=True, env=ansible_env(collections_path))


@pytest.mark.parametrize("role, variables, expected", [
    ("relay", {"relay_access_log": "verbose"}, "value of relay_access_log must be one of: off, combined, json, got: verbose"),
    ("relay", {"relay_upstream_pool_size": "many"}, "relay_upstream_pool_size"),
    ("relay", {"relay_service_state": "restarted"}, "value of relay_service_state must be one of: started, stopped"),
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


def test_relay_refuses_a_download_without_checksum(collections_path, tmp_path):
    done = include_role(collections_path, tmp_path, "relay",
                        {"relay_jar_url": "https://downloads.example.com/tower-relay.jar"}, gather=True)
    assert done.returncode == 2, done.stdout
    assert "relay_jar_url is set: set relay_jar_checksum too" in done.stdout


def test_relay_says_how_to_build_a_missing_jar(collections_path, tmp_path):
    done = include_role(collections_path, tmp_path, "relay", {"relay_jar_src": str(tmp_path / "nope.jar")}, gather=True)
    assert done.returncode == 2, done.stdout
    assert "mvn -B -ntp package -DskipTests" in done.stdout


def test_tower_settings_needs_a_password(collections_path, tmp_path):
    done = include_role(collections_path, tmp_path, "tower_settings", {})
    assert done.returncode == 2, done.stdout
    assert "Set tower_settings_username and tower_settings_password" in done.stdout


def test_tower_settings_password_is_not_logged(collections_path, tmp_path):
    done = include_role(collections_path, tmp_path, "tower_settings",
                        {"tower_settings_password": "s3cret-pass", "tower_settings_validate_certs": "maybe"})
    assert done.returncode == 2
    assert "s3cret-pass" not in done.stdout + done.stderr

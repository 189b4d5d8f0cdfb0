"""The tower_settings role against the mock Tower's settings API: changes only what differs, a second
run changes nothing, check mode reports without changing, bad credentials fail clearly."""
import base64
import json
import subprocess
import urllib.request

from conftest import ROOT, VENV_BIN, ansible_env


def settings(tower):
    request = urllib.request.Request(tower.url + "/api/v2/settings/system/")
    request.add_header("Authorization", "Basic " + base64.b64encode(b"admin:password").decode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def converge(collections_path, tmp_path, tower, *args, **variables):
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps(dict(dict(tower_settings_url=tower.url, tower_settings_password="password",
                                          role_under_test="tower_settings"), **variables)))
    return subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(ROOT / "tests" / "playbooks" / "include_role.yml"), "-e", "@" + str(extra)] + list(args),
                          capture_output=True, text=True, env=ansible_env(collections_path))


def test_sets_what_differs_then_changes_nothing(collections_path, tmp_path, start_mock):
    tower = start_mock()
    assert "HTTP_X_FORWARDED_FOR" not in settings(tower)["REMOTE_HOST_HEADERS"]

    checked = converge(collections_path, tmp_path, tower, "--check",
                       tower_settings_csrf_trusted_origins=["https://tower.example.com"])
    assert checked.returncode == 0, checked.stdout
    assert "changed=1" in checked.stdout
    assert "HTTP_X_FORWARDED_FOR" not in settings(tower)["REMOTE_HOST_HEADERS"]

    first = converge(collections_path, tmp_path, tower, tower_settings_csrf_trusted_origins=["https://tower.example.com"])
    assert first.returncode == 0, first.stdout
    assert "changed=1" in first.stdout
    now = settings(tower)
    assert now["REMOTE_HOST_HEADERS"] == ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR", "REMOTE_HOST"]
    assert now["CSRF_TRUSTED_ORIGINS"] == ["https://tower.example.com"]

    second = converge(collections_path, tmp_path, tower, tower_settings_csrf_trusted_origins=["https://tower.example.com"])
    assert second.returncode == 0, second.stdout
    assert "changed=0" in second.stdout


def test_manages_only_the_listed_settings(collections_path, tmp_path, start_mock):
    tower = start_mock()
    done = converge(collections_path, tmp_path, tower, tower_settings_manage=["PROXY_IP_ALLOWED_LIST"],
                    tower_settings_proxy_ip_allowed_list=["10.0.0.5"])
    assert done.returncode == 0, done.stdout
    now = settings(tower)
    assert now["PROXY_IP_ALLOWED_LIST"] == ["10.0.0.5"]
    assert now["REMOTE_HOST_HEADERS"] == ["REMOTE_ADDR", "REMOTE_HOST"]


def test_wrong_password_fails_clearly_without_logging_it(collections_path, tmp_path, mock_tower):
    done = converge(collections_path, tmp_path, mock_tower, tower_settings_password="not-the-password")
    assert done.returncode == 2
    assert "answered 401 to user admin: check tower_settings_username and tower_settings_password" in done.stdout
    assert "not-the-password" not in done.stdout + done.stderr

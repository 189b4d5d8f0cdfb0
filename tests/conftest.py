"""Fixtures for the Ansible-side tests: the built collection, the relay jar, the mock Tower,
real NGINX and Apache on private prefixes and free loopback ports, and template rendering."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
MODULE = ROOT / "collection" / "plugins" / "modules" / "live_events_probe.py"


def free_port():
    """A loopback port nobody listens on right now (several developers share this machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process=None, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError("process exited with %s before listening on %d" % (process.returncode, port))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %ss" % (port, timeout))


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def ansible_env(collections_path=None):
    env = dict(os.environ)
    env["PATH"] = "%s:%s" % (VENV_BIN, env.get("PATH", ""))
    env["ANSIBLE_NOCOLOR"] = "1"
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["ANSIBLE_RETRY_FILES_ENABLED"] = "0"
    env["ANSIBLE_LOCALHOST_WARNING"] = "0"
    env["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "0"
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    env["ANSIBLE_GALAXY_SERVER_LIST"] = ""
    if collections_path:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    return env


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """The collection as users get it: built tarball installed into a temporary collections path.
    scripts/test-ansible.sh builds and installs it once and passes the path in TOWERRELAY_COLLECTIONS_PATH."""
    given = os.environ.get("TOWERRELAY_COLLECTIONS_PATH")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("collection-build")
    tarball = subprocess.run(["bash", str(ROOT / "scripts" / "build-collection.sh"), str(out)], check=True,
                             capture_output=True, text=True, env=ansible_env()).stdout.strip().splitlines()[-1]
    path = tmp_path_factory.mktemp("collections")
    subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "--offline", "-p", str(path), tarball],
                   check=True, capture_output=True, text=True, env=ansible_env())
    return path


@pytest.fixture(scope="session")
def relay_jar():
    jar = Path(os.environ.get("TOWERRELAY_JAR", ROOT / "java-agent" / "target" / "tower-relay.jar"))
    if not jar.is_file():
        pytest.skip("no relay jar at %s: build it with `mvn -B -ntp package -DskipTests` (or set TOWERRELAY_JAR)" % jar)
    return jar


class MockTower:
    def __init__(self, process, port):
        self.process = process
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.hostport = "127.0.0.1:%d" % port


def start_mock_tower(jar, *extra):
    """Starts `tower-relay.jar mock-tower` on a free port (port 0: it prints the one it bound)."""
    process = subprocess.Popen(["java", "-jar", str(jar), "mock-tower", "--listen", "127.0.0.1:0"] + list(extra),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if match:
            port = int(match.group(1))
            wait_for_port(port, process)
            return MockTower(process, port)
    stop(process)
    raise RuntimeError("mock-tower did not say where it listens: %s" % "".join(seen))


@pytest.fixture(scope="session")
def mock_tower(relay_jar):
    tower = start_mock_tower(relay_jar)
    yield tower
    stop(tower.process)


@pytest.fixture
def start_mock(relay_jar):
    """Starts a mock Tower with extra flags (event and ping intervals) for one test."""
    started = []

    def start(*extra):
        tower = start_mock_tower(relay_jar, *extra)
        started.append(tower)
        return tower

    yield start
    for tower in started:
        stop(tower.process)


def run_module(**args):
    """Runs live_events_probe the way Ansible does (module args as JSON), returns its JSON result."""
    args_file = Path(os.environ.get("TMPDIR", "/tmp")) / ("probe-args-%d-%d.json" % (os.getpid(), time.monotonic_ns()))
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    try:
        done = subprocess.run([sys.executable, str(MODULE), str(args_file)], capture_output=True, text=True, timeout=300)
    finally:
        args_file.unlink()
    try:
        return json.loads(done.stdout)
    except ValueError:
        raise AssertionError("module printed no JSON (rc %d): %s %s" % (done.returncode, done.stdout, done.stderr))


def render(role, template, dest, overrides=None):
    """Renders a role's template with Ansible from the role's defaults (and vars/main.yml) plus overrides."""
    extra = Path(str(dest) + ".vars.json")
    extra.write_text(json.dumps(dict(overrides or {}, render_role_dir=str(ROOT / "roles" / role),
                                     render_template=template, render_dest=str(dest))))
    done = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                           str(ROOT / "tests" / "playbooks" / "render.yml"), "-e", "@" + str(extra)],
                          capture_output=True, text=True, env=ansible_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return Path(dest).read_text()


def render_var(role, name, overrides=None):
    """The value of one of a role's variables (defaults, vars/main.yml, overrides) as Ansible templates it."""
    with tempfile.TemporaryDirectory() as d:
        dest = Path(d) / "value.json"
        render(role, "", dest, dict(overrides or {}, render_src=str(ROOT / "tests" / "playbooks" / "var.json.j2"),
                                    render_var=name))
        return json.loads(dest.read_text())


class Nginx:
    """A real NGINX (Debian's) on a private prefix: its own nginx.conf including one rendered file."""

    def __init__(self, prefix):
        self.prefix = Path(prefix)
        self.process = None

    def write_main(self, site_conf):
        for sub in ("logs", "tmp"):
            (self.prefix / sub).mkdir(parents=True, exist_ok=True)
        p = self.prefix
        (p / "nginx.conf").write_text("""
user root;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {p}/logs/access.log;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    include {site};
}}
""".format(p=p, site=site_conf))

    def test_config(self):
        return subprocess.run(["nginx", "-t", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
                              capture_output=True, text=True)

    def start(self, port):
        self.process = subprocess.Popen(["nginx", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf"),
                                         "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_for_port(port, self.process)

    def stop(self):
        if self.process is not None:
            stop(self.process)


class Apache:
    """A real Apache (Debian's) in a private config dir, driven by apache2ctl like the role does."""

    MODULES = ["mpm_event", "authz_core", "proxy", "proxy_http", "proxy_wstunnel", "headers", "rewrite", "setenvif"]

    def __init__(self, confdir):
        self.confdir = Path(confdir)
        self.process = None

    def write_main(self, site_conf, tls=False):
        d = self.confdir
        (d / "run").mkdir(parents=True, exist_ok=True)
        (d / "logs").mkdir(exist_ok=True)
        # With TLS the role also enables mod_http2 (apache_http2, on by default).
        modules = self.MODULES + (["socache_shmcb", "ssl", "http2"] if tls else [])
        loads = "\n".join("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so" % (m, m) for m in modules)
        # apache2ctl reads envvars from APACHE_CONFDIR; nothing here depends on them.
        (d / "envvars").write_text("export APACHE_RUN_DIR={d}/run\nexport APACHE_PID_FILE={d}/run/apache2.pid\n"
                                   "export APACHE_LOG_DIR={d}/logs\nexport APACHE_LOCK_DIR={d}/run\n".format(d=d))
        (d / "apache2.conf").write_text("""
ServerRoot {d}
DefaultRuntimeDir {d}/run
PidFile {d}/run/apache2.pid
ErrorLog {d}/logs/error.log
LogLevel warn
{loads}
User www-data
Group www-data
ServerName localhost
Include {site}
""".format(d=d, loads=loads, site=site_conf))

    def env(self):
        env = dict(os.environ)
        env["APACHE_CONFDIR"] = str(self.confdir)
        return env

    def configtest(self):
        return subprocess.run(["apache2ctl", "configtest"], capture_output=True, text=True, env=self.env())

    def start(self, port):
        self.process = subprocess.Popen(["apache2", "-d", str(self.confdir), "-f", str(self.confdir / "apache2.conf"),
                                         "-DFOREGROUND"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env())
        wait_for_port(port, self.process)

    def stop(self):
        if self.process is not None:
            stop(self.process)


@pytest.fixture
def nginx(tmp_path):
    if not shutil.which("nginx"):
        pytest.fail("nginx is not installed (apt-get install -y nginx; scripts/test-ansible.sh does it)")
    server = Nginx(tmp_path / "nginx")
    yield server
    server.stop()


@pytest.fixture
def apache(tmp_path):
    if not shutil.which("apache2ctl"):
        pytest.fail("apache2 is not installed (apt-get install -y apache2; scripts/test-ansible.sh does it)")
    server = Apache(tmp_path / "apache2")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 / localhost, made with openssl."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "tower.crt", d / "tower.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key

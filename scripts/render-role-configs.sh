#!/usr/bin/env bash
# Renders the nginx and apache role templates with the role defaults, changing only addresses and
# turning TLS on (HTTP/2 is on by default there; the certificate and key at the roles' default paths,
# no HTTP-to-HTTPS redirect), into OUT_DIR/nginx-role.conf and OUT_DIR/apache-role.conf. The conformance
# suite calls it after picking its ports, so it always tests the templates as they are in roles/ (what
# we ship). NGINX_VERSION and APACHE_VERSION are those of the servers that will load the files (what
# the roles read with `nginx -v` and `apachectl -v`): they choose `listen ... http2` or `http2 on;`, and
# whether `H2WebSockets off` is known.
#
#   scripts/render-role-configs.sh OUT_DIR UPSTREAM_HOST:PORT NGINX_PORT APACHE_PORT NGINX_VERSION APACHE_VERSION
#
# Needs the project venv (.venv, from scripts/venv.sh; scripts/test-env.sh makes it).
set -euo pipefail
if [[ $# -ne 6 ]]; then
  echo "usage: $0 OUT_DIR UPSTREAM_HOST:PORT NGINX_PORT APACHE_PORT NGINX_VERSION APACHE_VERSION" >&2
  exit 2
fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$1" upstream="$2" nginx_port="$3" apache_port="$4" nginx_version="$5" apache_version="$6"
playbook="$repo/.venv/bin/ansible-playbook"
if [[ ! -x "$playbook" ]]; then
  echo "render-role-configs: $playbook not found: run scripts/test-env.sh (or scripts/venv.sh) first" >&2
  exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
python="$repo/.venv/bin/python"
extra_vars="$("$python" -c 'import json, sys
out, upstream, nginx_port, apache_port, nginx_version, apache_version = sys.argv[1:]
print(json.dumps({
    "conformance_out": out,
    "ansible_python_interpreter": sys.executable,
    "__nginx_version": nginx_version,
    "__apache_version": apache_version,
    "nginx_listen_address": "127.0.0.1",
    "nginx_tls": True,
    "nginx_https_port": int(nginx_port),
    "nginx_http_redirect": False,
    "nginx_upstream_servers": [upstream],
    "apache_listen_address": "127.0.0.1",
    "apache_tls": True,
    "apache_https_port": int(apache_port),
    "apache_http_redirect": False,
    "apache_upstream_url": "http://" + upstream,
}))' "$out" "$upstream" "$nginx_port" "$apache_port" "$nginx_version" "$apache_version")"
ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
  "$playbook" -i localhost, -e "$extra_vars" "$repo/containers/conformance/render-role-configs.yml" >"$out/render.log" 2>&1 || {
  cat "$out/render.log" >&2
  echo "render-role-configs: ansible-playbook failed" >&2
  exit 1
}
echo "$out/nginx-role.conf"
echo "$out/apache-role.conf"

package io.towerrelay.probe;

/**
 * The fix for each {@link Cause}, with the lines to put in NGINX, Apache, the relay and Tower.
 * Kept in one place so the human report, the JSON document and docs/probe.md say the same thing.
 */
final class Remedies {

    private static final String NGINX_WEBSOCKET_LOCATION = """
            # http {} level, once:
            map $http_upgrade $connection_upgrade { default upgrade; '' close; }
            # server {} level: AWX 23.8+ uses /api/websocket/, older Tower /websocket/
            location ~ ^/(api/)?websocket/ {
                proxy_pass http://TOWER;            # the same upstream as location /
                proxy_http_version 1.1;
                proxy_set_header Upgrade $http_upgrade;
                proxy_set_header Connection $connection_upgrade;
                proxy_set_header Host $http_host;
                proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                proxy_set_header X-Forwarded-Proto $scheme;
                proxy_read_timeout 1h;
                proxy_send_timeout 1h;
            }""";

    private static final String APACHE_UPGRADE = """
            # a2enmod proxy proxy_http proxy_wstunnel
            ProxyPreserveHost On
            # Apache 2.4.47+:
            ProxyPass        / http://TOWER/ upgrade=websocket timeout=3600
            ProxyPassReverse / http://TOWER/
            # older 2.4 (mod_rewrite), before the ProxyPass lines:
            # RewriteEngine On
            # RewriteCond %{HTTP:Upgrade} =websocket [NC]
            # RewriteRule ^/((api/)?websocket/.*) ws://TOWER/$1 [P,L]""";

    private static final String RELAY_WEBSOCKET = """
            # the relay tunnels every path except websocket.blocked-paths:
            websocket:
              blocked-paths: [/websocket/relay/, /websocket/broadcast/]   # the default; never list /websocket/ or /api/websocket/
              idle-timeout: 1h""";

    private Remedies() {
    }

    static Advice forCause(Cause cause) {
        if (cause == null) {
            return null;
        }
        return switch (cause) {
            case UNREACHABLE -> Advice.words(
                    "Check that the proxy is running and listening on this address and port, and that the URL is the"
                            + " one users open in their browser.");
            case PAGE_ERROR -> new Advice(
                    "The proxy could not serve Tower's page; if the status is 502 or 504 the proxy cannot reach Tower:"
                            + " check the upstream address and that Tower's web service runs.",
                    "proxy_pass http://TOWER;   # TOWER = host:port where Tower's web service listens",
                    "ProxyPass / http://TOWER/ upgrade=websocket",
                    "upstream:\n  url: http://TOWER",
                    null);
            case TLS_UNTRUSTED -> new Advice(
                    "The server's certificate is not trusted by this probe (self-signed or a private CA). If it is"
                            + " yours, give the CA certificate with --ca FILE (browsers need it installed, too);"
                            + " otherwise serve a certificate from a CA the clients trust, with the full chain.",
                    "ssl_certificate     /etc/ssl/tower/fullchain.pem;   # certificate + intermediates\n"
                            + "ssl_certificate_key /etc/ssl/tower/privkey.pem;",
                    "SSLCertificateFile    /etc/ssl/tower/fullchain.pem\n"
                            + "SSLCertificateKeyFile /etc/ssl/tower/privkey.pem",
                    "listen:\n  tls:\n    certificate: /etc/ssl/tower/fullchain.pem\n    key: /etc/ssl/tower/privkey.pem",
                    null);
            case TLS_HOSTNAME_MISMATCH -> Advice.words(
                    "The certificate does not name the host in the URL. Issue it with this host name in its"
                            + " subjectAltName, or open Tower by a name the certificate carries.");
            case TLS_SCHEME_MISMATCH -> new Advice(
                    "http:// and https:// are mixed up: this port speaks the other protocol. Use the scheme the port"
                            + " serves (the page's scheme also decides ws:// versus wss:// for live events), and"
                            + " redirect plain HTTP to HTTPS on its own port.",
                    "server { listen 80; return 301 https://$host$request_uri; }\n"
                            + "server { listen 443 ssl; ... }   # not the removed 'ssl on;'",
                    "<VirtualHost *:80>\n  Redirect permanent / https://tower.example.com/\n</VirtualHost>",
                    null, null);
            case TLS_FAILED -> Advice.words(
                    "The TLS handshake failed: check the protocol versions and ciphers the proxy allows (TLS 1.2+)"
                            + " and that the certificate and key belong together.");
            case UPGRADE_NOT_PASSED -> new Advice(
                    "The proxy did not pass the WebSocket upgrade on to Tower, so Tower saw a plain GET and the"
                            + " browser reports 'closed before the connection is established' or an unexpected"
                            + " response code. The proxy must speak HTTP/1.1 to Tower and forward the Upgrade and"
                            + " Connection headers for /websocket/ and /api/websocket/.",
                    NGINX_WEBSOCKET_LOCATION, APACHE_UPGRADE, RELAY_WEBSOCKET, null);
            case HANDSHAKE_TIMED_OUT -> new Advice(
                    "The WebSocket handshake got no answer (or a 504): the proxy forwarded the upgrade but did not"
                            + " switch to tunnelling when Tower answered 101, or cannot reach Tower. Proxies that do"
                            + " not support WebSockets (some load balancers, NGINX without the upgrade headers) do"
                            + " this.",
                    NGINX_WEBSOCKET_LOCATION, APACHE_UPGRADE, RELAY_WEBSOCKET, null);
            case UPGRADE_MANGLED -> new Advice(
                    "The proxy answered 101 but mangled the handshake (Upgrade / Sec-WebSocket-Accept headers"
                            + " missing or wrong). Let the proxy forward Tower's 101 response unchanged.",
                    NGINX_WEBSOCKET_LOCATION, APACHE_UPGRADE, RELAY_WEBSOCKET, null);
            case PATH_NOT_ROUTED -> new Advice(
                    "This WebSocket path is not proxied like the other one. AWX 23.8 and later use /api/websocket/,"
                            + " older Tower uses /websocket/ (a Tower older than 23.8 answers 404 here, which is"
                            + " fine). Proxy both paths the same way.",
                    NGINX_WEBSOCKET_LOCATION, APACHE_UPGRADE, RELAY_WEBSOCKET, null);
            case NOT_LOGGED_IN -> new Advice(
                    "The WebSocket was refused because there was no Tower session cookie (awx_sessionid). Either"
                            + " the proxy strips Set-Cookie from Tower's responses, or Tower needs a login: run the"
                            + " probe with --user and --password.",
                    "# remove any of these:\nproxy_hide_header Set-Cookie;\nproxy_ignore_headers Set-Cookie;",
                    "# remove any of these:\nHeader unset Set-Cookie\nHeader always unset Set-Cookie",
                    null, null);
            case COOKIES_NOT_PASSED -> new Advice(
                    "The browser sent its session cookie but Tower did not receive it: the proxy drops the Cookie"
                            + " header, so Tower refuses the WebSocket (AWX 23.8+ checks the session at the handshake).",
                    "# remove from the server/location blocks:\nproxy_set_header Cookie \"\";",
                    "# remove:\nRequestHeader unset Cookie",
                    "# the relay forwards Cookie unchanged; remove any header rewriting in front of it", null);
            case HOST_REWRITTEN -> new Advice(
                    "The proxy rewrites the Host header. Tower's CSRF and Origin checks compare the browser's"
                            + " Origin with Host, so WebSocket handshakes and logins are refused (403). Preserve the"
                            + " Host the browser sent, or add the public origin to CSRF_TRUSTED_ORIGINS.",
                    "proxy_set_header Host $http_host;",
                    "ProxyPreserveHost On",
                    "# the relay preserves Host by default; remove any Host rewriting in front of it",
                    "CSRF_TRUSTED_ORIGINS = [\"https://tower.example.com\"]   # the URL users open");
            case HANDSHAKE_FORBIDDEN -> new Advice(
                    "The WebSocket handshake was refused with 403 although the session cookie and Host reached"
                            + " Tower. Check an Origin allowlist on the proxy, Tower's CSRF_TRUSTED_ORIGINS, and that"
                            + " the user's session is valid.",
                    null, null,
                    "websocket:\n  allowed-origins: [\"https://tower.example.com\"]   # or empty: any origin",
                    "CSRF_TRUSTED_ORIGINS = [\"https://tower.example.com\"]");
            case HANDSHAKE_REFUSED -> new Advice(
                    "The WebSocket handshake got an error answer. Look at the status and body in the evidence; if it"
                            + " comes from the proxy, the proxy is not set up to pass WebSockets to Tower.",
                    NGINX_WEBSOCKET_LOCATION, APACHE_UPGRADE, RELAY_WEBSOCKET, null);
            case CLOSED_BEFORE_ESTABLISHED -> new Advice(
                    "The connection was closed before the WebSocket was established (no HTTP answer at all): the"
                            + " proxy dropped the upgrade request. Set the proxy up for WebSockets; on older Tower"
                            + " also set REMOTE_HOST_HEADERS so Tower accepts the proxied client.",
                    NGINX_WEBSOCKET_LOCATION, APACHE_UPGRADE, RELAY_WEBSOCKET,
                    "REMOTE_HOST_HEADERS = [\"HTTP_X_FORWARDED_FOR\", \"REMOTE_ADDR\", \"REMOTE_HOST\"]");
            case NO_ACCEPT -> Advice.words(
                    "The WebSocket opened but Tower never confirmed it. Something between the browser and Tower"
                            + " accepted the upgrade without tunnelling to Tower's WebSocket service; check that"
                            + " /websocket/ and /api/websocket/ are proxied to Tower's web service.");
            case SUBSCRIPTION_REFUSED -> new Advice(
                    "Tower refused the subscription ('access denied to channel'): the xrftoken the UI sends comes"
                            + " from the csrftoken cookie, and it did not match. The proxy loses or rewrites the"
                            + " csrftoken cookie (Set-Cookie on the page, or Cookie on the WebSocket request).",
                    "# remove any proxy_hide_header Set-Cookie / proxy_set_header Cookie rewriting",
                    "# remove any Header edit Set-Cookie / RequestHeader edit Cookie",
                    null, null);
            case NO_EVENTS -> Advice.words(
                    "The subscription was accepted but no events arrived. If jobs are running, something buffers"
                            + " the WebSocket: turn off response buffering or inspection for /websocket/ and"
                            + " /api/websocket/ on the proxy and any load balancer in front of it.");
            case EVENTS_OUT_OF_ORDER -> Advice.words(
                    "Events arrived out of order or with gaps: the proxy or a load balancer mixes several upstream"
                            + " connections. Tunnel each WebSocket over one upstream connection.");
            case CLOSED_WHILE_STREAMING -> Advice.words(
                    "The WebSocket closed while events were streaming. Check the proxy's error log for the time of"
                            + " the probe; connection limits or a buffer limit on the proxy cut it.");
            case IDLE_CUT -> new Advice(
                    "An idle WebSocket was cut by the proxy's read timeout (NGINX's default is 60 s; load balancers"
                            + " often cut at 60 s, too). A job page waiting for output looks idle: raise the timeout"
                            + " for the WebSocket paths well above the longest quiet spell (1 hour).",
                    "# in the /websocket/ and /api/websocket/ location:\nproxy_read_timeout 1h;\nproxy_send_timeout 1h;",
                    "ProxyPass / http://TOWER/ upgrade=websocket timeout=3600\n# or for the whole vhost:\nProxyTimeout 3600",
                    "websocket:\n  idle-timeout: 1h",
                    null);
            case IDLE_DEAF -> Advice.words(
                    "After the idle wait the WebSocket was still open but carried nothing: a proxy or firewall"
                            + " silently dropped the idle connection. Raise its idle timeout above 1 hour.");
            case CLIENT_ADDRESS_NOT_FORWARDED -> new Advice(
                    "Tower did not receive the client's address in X-Forwarded-For, so its logs and activity stream"
                            + " show the proxy's address. Set the header on the proxy, and make Tower read it.",
                    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                    "ProxyAddHeaders On   # the default; it sets X-Forwarded-For",
                    "# the relay sets X-Forwarded-For; list proxies in front of it:\nforwarded:\n  trusted-proxies: [10.0.0.0/8]",
                    "REMOTE_HOST_HEADERS = [\"HTTP_X_FORWARDED_FOR\", \"REMOTE_ADDR\", \"REMOTE_HOST\"]\n"
                            + "PROXY_IP_ALLOWED_LIST = [\"<proxy address>\"]");
            case REMOTE_HOST_HEADERS_MISSING -> new Advice(
                    "The proxy sends X-Forwarded-For, but Tower's REMOTE_HOST_HEADERS does not list"
                            + " HTTP_X_FORWARDED_FOR, so Tower ignores it (Settings > System, or the API).",
                    null, null, null,
                    "REMOTE_HOST_HEADERS = [\"HTTP_X_FORWARDED_FOR\", \"REMOTE_ADDR\", \"REMOTE_HOST\"]");
        };
    }
}

package io.towerrelay.conformance;

import java.util.Map;
import java.util.Optional;

/**
 * The front proxies the conformance suite puts between a client and the mock Tower, and, for each, the
 * checks it is known to fail with what a user then sees. The relay and the configs our roles render
 * must pass everything (they run with TLS and HTTP/2 on, as a Tower admin deploys them); the seed document's samples are negative controls that must fail exactly as
 * written here (if they start passing, the suite no longer proves it can tell a broken proxy apart).
 */
enum Front {
    RELAY("tower-relay (the relay)", false, Map.of()),
    NGINX_ROLE("NGINX, role `nginx` config (TLS, HTTP/2)", true, Map.of()),
    APACHE_ROLE("Apache, role `apache` config (TLS, HTTP/2)", true, Map.of()),
    NGINX_SEED("NGINX, seed sample", false, Map.of(
            // Only /websocket/ has the Upgrade headers; /api/websocket/ falls into `location /`, which
            // speaks HTTP/1.0 and drops Upgrade, so Tower gets a plain GET and answers 400.
            Check.EVENTS_API_WEBSOCKET, "handshake answered HTTP 400",
            Check.REFUSED_HANDSHAKE_API_WEBSOCKET, "handshake answered HTTP 400",
            // proxy_read_timeout is left at NGINX's 60 s default: a quiet socket is cut.
            Check.IDLE_75S_SURVIVES, "socket closed by the proxy while idle")),
    APACHE_SEED("Apache, seed sample", false, Map.of(
            // No ProxyPreserveHost: Tower sees its own address as Host, so Origin != Host and
            // Django's CSRF check refuses every POST from the UI.
            Check.HOST_REACHES_UPSTREAM, "upstream saw its own address as Host"));

    final String title;
    /** Served over TLS with HTTP/2 on (the roles' defaults with TLS): clients speak https and wss. */
    final boolean tls;
    private final Map<Check, String> knownFailures;

    Front(String title, boolean tls, Map<Check, String> knownFailures) {
        this.title = title;
        this.tls = tls;
        this.knownFailures = knownFailures;
    }

    /** What this front is known to show for the check when it fails it; empty when it must pass. */
    Optional<String> knownFailure(Check check) {
        return Optional.ofNullable(knownFailures.get(check));
    }

    boolean isNegativeControl() {
        return this == NGINX_SEED || this == APACHE_SEED;
    }
}

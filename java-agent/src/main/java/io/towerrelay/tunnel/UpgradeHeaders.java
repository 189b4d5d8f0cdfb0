package io.towerrelay.tunnel;

import io.towerrelay.http.HopByHopHeaders;
import org.apache.hc.core5.http.HttpMessage;
import org.apache.hc.core5.http.HttpRequest;

/** How an HTTP/1.1 WebSocket upgrade is recognised (RFC 7230 section 6.7, RFC 6455 section 4). */
final class UpgradeHeaders {

    private UpgradeHeaders() {
    }

    /**
     * {@code Connection} lists the {@code upgrade} token (Firefox sends {@code keep-alive, Upgrade}) and
     * {@code Upgrade} lists {@code websocket}; both case-insensitive, possibly over several header lines.
     * Anything else, {@code h2c} included, is not a WebSocket upgrade and must not be forwarded as one.
     */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        return hasToken(request, "Connection", "upgrade") && hasWebSocketUpgrade(request);
    }

    static boolean hasWebSocketUpgrade(HttpMessage message) {
        return hasToken(message, "Upgrade", "websocket");
    }

    /** True when one of the comma-separated values of the header is {@code token}, ignoring case and blanks. */
    static boolean hasToken(HttpMessage message, String headerName, String token) {
        return HopByHopHeaders.hasToken(message, headerName, token);
    }
}

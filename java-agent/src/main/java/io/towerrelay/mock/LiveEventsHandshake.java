package io.towerrelay.mock;

import java.util.Optional;
import java.util.Set;

/**
 * Whether a request for a live-events path may become a WebSocket: what a proxy got wrong shows up
 * here as a refusal naming it. Accepted requests go to {@link LiveEvents#open}.
 */
final class LiveEventsHandshake {

    /** AWX 23.8+ serves live events on both. */
    static final Set<String> PATHS = Set.of("/websocket/", "/api/websocket/");

    private LiveEventsHandshake() {}

    /** What to do with a request for a live-events path. */
    sealed interface Handshake permits Refused, Accepted {}

    record Refused(HttpResponse response) implements Handshake {}

    record Accepted(Sessions.Session session) implements Handshake {}

    /** The checks AWX (23.8+) and RFC 6455 make before a socket is accepted. */
    static Handshake check(HttpRequest request, Sessions sessions) {
        if (request.isWebSocketUpgrade() && request.version().equals("HTTP/1.0")) {
            // RFC 7230 6.7: a server ignores Upgrade in an HTTP/1.0 request, so this is a plain GET too.
            // NGINX sends HTTP/1.0 upstream unless told proxy_http_version 1.1.
            return new Refused(HttpResponse.text(400,
                    "mock-tower: " + request.path() + " only speaks WebSocket, and this upgrade arrived as HTTP/1.0,"
                            + " where Upgrade is ignored (the proxy in between must speak HTTP/1.1 upstream, e.g."
                            + " NGINX proxy_http_version 1.1)"));
        }
        if (!request.isWebSocketUpgrade()) {
            // What a proxy that drops Upgrade/Connection delivers: a plain GET on a WebSocket-only path.
            return new Refused(HttpResponse.text(400,
                    "mock-tower: " + request.path() + " only speaks WebSocket, but this request arrived without"
                            + " 'Upgrade: websocket' and 'Connection: upgrade' (a proxy in between dropped them?)"));
        }
        if (!request.methodUpperCase().equals("GET")) {
            return new Refused(HttpResponse.text(405, "mock-tower: a WebSocket handshake must be a GET")
                    .withHeader("Allow", "GET"));
        }
        if (!request.header("Sec-WebSocket-Version").orElse("").equals("13")) {
            return new Refused(HttpResponse.text(426, "mock-tower: unsupported Sec-WebSocket-Version")
                    .withHeader("Sec-WebSocket-Version", "13"));
        }
        if (request.header("Sec-WebSocket-Key").orElse("").isEmpty()) {
            return new Refused(HttpResponse.text(400, "mock-tower: missing Sec-WebSocket-Key"));
        }
        Optional<Sessions.Session> session = sessions.find(request.cookie("awx_sessionid").orElse(null));
        if (session.isEmpty()) {
            return new Refused(HttpResponse.text(403,
                    "mock-tower: access denied: no valid awx_sessionid cookie on the WebSocket handshake"));
        }
        return new Accepted(session.get());
    }
}

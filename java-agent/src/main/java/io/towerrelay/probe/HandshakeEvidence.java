package io.towerrelay.probe;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * What one WebSocket opening handshake showed.
 *
 * @param path         the WebSocket path tried ({@code /websocket/} or {@code /api/websocket/})
 * @param uri          the ws:// or wss:// URI
 * @param origin       the Origin header sent (the page's origin, as a browser sends it)
 * @param cookiesSent  names of the cookies sent with the handshake
 * @param status       status code of the answer, 0 when no HTTP answer came
 * @param statusLine   the answer's status line, or null
 * @param headers      the answer's headers, names in lower case
 * @param body         the start of the answer's body
 * @param opened       true when the WebSocket opened (valid 101)
 * @param timedOut     true when nothing conclusive happened within the timeout
 * @param error        transport failure, or null
 * @param detail       what the WebSocket client reported when it gave up, or null
 * @param elapsedMillis time from connect to the answer or failure
 */
public record HandshakeEvidence(
        String path,
        URI uri,
        String origin,
        List<String> cookiesSent,
        int status,
        String statusLine,
        Map<String, String> headers,
        String body,
        boolean opened,
        boolean timedOut,
        TransportError error,
        String detail,
        long elapsedMillis) {

    public HandshakeEvidence {
        cookiesSent = cookiesSent == null ? List.of() : List.copyOf(cookiesSent);
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? "" : body;
    }

    public boolean answered() {
        return status > 0;
    }

    public boolean sentSessionCookie() {
        return cookiesSent.contains(TowerProtocol.SESSION_COOKIE);
    }

    public String header(String name) {
        return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }
}

package io.towerrelay.mock;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A request as the mock received it: request line, headers in order (duplicates kept) and the
 * de-chunked body. Tests of other components read these through {@link MockTower#receivedRequests()}.
 */
public record HttpRequest(
        String method, String target, String version, List<HttpHeader> headers, byte[] body, InetSocketAddress peer) {

    public HttpRequest {
        headers = List.copyOf(headers);
    }

    public String requestLine() {
        return method + " " + target + " " + version;
    }

    /** The target without its query string. */
    public String path() {
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    /** The query string without '?', or empty. */
    public String query() {
        int q = target.indexOf('?');
        return q < 0 ? "" : target.substring(q + 1);
    }

    /** The first header with this name (case-insensitive). */
    public Optional<String> header(String name) {
        for (HttpHeader h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return Optional.of(h.value());
            }
        }
        return Optional.empty();
    }

    /** All values of this header, in order. */
    public List<String> headerValues(String name) {
        List<String> values = new ArrayList<>();
        for (HttpHeader h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                values.add(h.value());
            }
        }
        return values;
    }

    /** Whether a comma-separated header (Connection, Upgrade) carries this token, case-insensitively. */
    public boolean headerHasToken(String name, String token) {
        for (String value : headerValues(name)) {
            for (String part : value.split(",")) {
                if (part.trim().equalsIgnoreCase(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes unless told to keep it. */
    public boolean keepAlive() {
        if ("HTTP/1.0".equals(version)) {
            return headerHasToken("Connection", "keep-alive");
        }
        return !headerHasToken("Connection", "close");
    }

    /** A cookie from the Cookie header(s), if present. */
    public Optional<String> cookie(String name) {
        for (String line : headerValues("Cookie")) {
            for (String pair : line.split(";")) {
                int eq = pair.indexOf('=');
                if (eq > 0 && pair.substring(0, eq).trim().equals(name)) {
                    return Optional.of(pair.substring(eq + 1).trim());
                }
            }
        }
        return Optional.empty();
    }

    public boolean isWebSocketUpgrade() {
        return headerHasToken("Connection", "upgrade") && headerHasToken("Upgrade", "websocket");
    }

    public String methodUpperCase() {
        return method.toUpperCase(Locale.ROOT);
    }
}

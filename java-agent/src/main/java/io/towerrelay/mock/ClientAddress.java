package io.towerrelay.mock;

import java.util.List;
import java.util.Locale;

/**
 * The client address AWX would record for a request: the first non-empty value among the
 * {@code REMOTE_HOST_HEADERS} (WSGI names: {@code REMOTE_ADDR}, {@code HTTP_X_FORWARDED_FOR}, ...),
 * trusted only when {@code PROXY_IP_ALLOWED_LIST} is empty or holds the peer. This is what makes a
 * proxy that does not set X-Forwarded-For visible: AWX then logs the proxy as the client.
 */
final class ClientAddress {

    private ClientAddress() {}

    static String resolve(HttpRequest request, SystemSettings settings) {
        String peer = request.peer().getAddress().getHostAddress();
        List<String> allowed = settings.get("PROXY_IP_ALLOWED_LIST");
        if (!allowed.isEmpty() && !allowed.contains(peer)) {
            return peer;
        }
        for (String metaName : settings.get("REMOTE_HOST_HEADERS")) {
            String value = metaValue(request, metaName, peer);
            if (value == null) {
                continue;
            }
            for (String part : value.split(",")) {
                if (!part.isBlank()) {
                    return part.strip();
                }
            }
        }
        return peer;
    }

    /** A WSGI environ value: REMOTE_ADDR/REMOTE_HOST from the socket, HTTP_* from the headers. */
    private static String metaValue(HttpRequest request, String metaName, String peer) {
        String name = metaName.toUpperCase(Locale.ROOT);
        if (name.equals("REMOTE_ADDR") || name.equals("REMOTE_HOST")) {
            return peer;
        }
        if (!name.startsWith("HTTP_")) {
            return null;
        }
        String header = name.substring("HTTP_".length()).replace('_', '-');
        List<String> values = request.headerValues(header);
        return values.isEmpty() ? null : String.join(",", values);
    }
}

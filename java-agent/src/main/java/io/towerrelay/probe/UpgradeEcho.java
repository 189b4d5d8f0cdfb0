package io.towerrelay.probe;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How a request carrying the WebSocket upgrade headers reached Tower (the mock's echo endpoint): the
 * protocol version and the Upgrade and Connection headers the proxy passed on. When the handshake fails,
 * this names which of NGINX's three upgrade lines is missing.
 *
 * @param httpVersion version of the request Tower received, e.g. {@code HTTP/1.0} (NGINX's default upstream)
 * @param upgrade     the Upgrade header Tower received, or null
 * @param connection  the Connection header Tower received, or null
 */
public record UpgradeEcho(String httpVersion, String upgrade, String connection) {

    /** The NGINX directives that would have carried what did not arrive. */
    public List<String> missingNginxLines() {
        List<String> missing = new ArrayList<>();
        if (!"HTTP/1.1".equalsIgnoreCase(httpVersion)) {
            missing.add("proxy_http_version 1.1;");
        }
        if (upgrade == null || !upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
            missing.add("proxy_set_header Upgrade $http_upgrade;");
        }
        if (connection == null || !connection.toLowerCase(Locale.ROOT).contains("upgrade")) {
            missing.add("proxy_set_header Connection $connection_upgrade;");
        }
        return missing;
    }

    public String describe() {
        return httpVersion + ", Upgrade: " + (upgrade == null ? "(none)" : upgrade) + ", Connection: "
                + (connection == null ? "(none)" : connection);
    }
}

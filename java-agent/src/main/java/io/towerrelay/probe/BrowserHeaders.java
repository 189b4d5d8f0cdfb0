package io.towerrelay.probe;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The headers a browser derives from the page URL, which Tower's CSRF/Origin checks compare. */
final class BrowserHeaders {

    private BrowserHeaders() {
    }

    /** Host header: host, plus the port when it is not the scheme's default. */
    static String host(URI url) {
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        int port = url.getPort();
        boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
        String host = url.getHost();
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return defaultPort ? host : host + ":" + port;
    }

    /** Origin header of a page served from this URL. */
    static String origin(URI url) {
        return url.getScheme().toLowerCase(Locale.ROOT) + "://" + host(url);
    }

    /** The WebSocket URI the Tower UI opens from this page: same host, ws:// or wss:// after the page's scheme. */
    static URI websocket(URI page, String path) {
        String scheme = "https".equalsIgnoreCase(page.getScheme()) ? "wss" : "ws";
        return URI.create(scheme + "://" + host(page) + path);
    }

    /** Cookie header value. */
    static String cookieHeader(Map<String, String> cookies) {
        return cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; "));
    }
}

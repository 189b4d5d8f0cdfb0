package io.towerrelay.proxy;

import io.towerrelay.config.LimitsConfig;
import java.util.Iterator;
import java.util.Locale;
import java.util.Optional;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.Method;
import org.apache.hc.core5.net.URIAuthority;

/**
 * Checks a request head before anything goes upstream: this is a reverse proxy for one Tower, so CONNECT and
 * absolute-form requests for other hosts are refused (never an open proxy), and oversized heads get 414 / 431.
 */
public final class RequestScreen {
    private final LimitsConfig limits;

    public RequestScreen(LimitsConfig limits) {
        this.limits = limits;
    }

    public Optional<Refusal> check(HttpRequest request) {
        String method = request.getMethod();
        if (Method.CONNECT.isSame(method)) {
            return Optional.of(new Refusal(405, "CONNECT refused: tower-relay is a reverse proxy, not a forward proxy", true));
        }
        String target = request.getRequestUri();
        int requestLine = method.length() + 1 + (target == null ? 0 : target.length()) + 1 + 8;
        if (requestLine > limits.maxRequestLineBytes()) {
            return Optional.of(new Refusal(414, "request line is " + requestLine + " bytes, over limits.max-request-line-bytes ("
                    + limits.maxRequestLineBytes() + ")", true));
        }
        long headerBytes = 0;
        int hosts = 0;
        for (Iterator<Header> it = request.headerIterator(); it.hasNext(); ) {
            Header h = it.next();
            headerBytes += h.getName().length() + 2 + (h.getValue() == null ? 0 : h.getValue().length()) + 2;
            if (h.getName().equalsIgnoreCase("Host")) {
                hosts++;
            }
        }
        if (headerBytes > limits.maxHeaderBytes()) {
            return Optional.of(new Refusal(431, "request headers are " + headerBytes + " bytes, over limits.max-header-bytes ("
                    + limits.maxHeaderBytes() + ")", true));
        }
        if (hosts > 1) {
            return Optional.of(new Refusal(400, "more than one Host header", true));
        }
        Header host = request.getFirstHeader("Host");
        URIAuthority authority = request.getAuthority();
        if (request.getScheme() != null && authority != null && host != null && !sameAuthority(authority, host.getValue())) {
            // Absolute-form naming a host other than the Host header: a client using us as a forward proxy.
            return Optional.of(new Refusal(400, "absolute-form request for another host (" + authority
                    + ") refused: tower-relay is a reverse proxy, not an open proxy", true));
        }
        return Optional.empty();
    }

    private static boolean sameAuthority(URIAuthority authority, String hostHeader) {
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        String expected = authority.getHostName().toLowerCase(Locale.ROOT);
        if (authority.getPort() >= 0) {
            return host.equals(expected + ":" + authority.getPort());
        }
        return host.equals(expected) || host.startsWith(expected + ":");
    }
}

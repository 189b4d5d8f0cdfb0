package io.towerrelay.probe;

import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * What fetching Tower's page (like a browser opening it) showed.
 *
 * @param url         the URL the page was finally served from (after redirects)
 * @param status      HTTP status, 0 when no response came
 * @param server      the Server header, or null
 * @param cookieNames names of the cookies the client holds after the fetch
 * @param body        the start of the body, for evidence
 * @param tls         the TLS session, or null for plain HTTP
 * @param error       why no response came, or null
 * @param otherScheme what the same port answered in the other scheme (http vs https) when the page failed, or null
 */
public record PageEvidence(
        URI url, int status, String server, Set<String> cookieNames, String body, TlsSession tls, TransportError error,
        String otherScheme) {

    public PageEvidence {
        cookieNames = cookieNames == null ? Set.of() : Set.copyOf(cookieNames);
        body = body == null ? "" : body;
    }

    public PageEvidence(
            URI url, int status, String server, Set<String> cookieNames, String body, TlsSession tls,
            TransportError error) {
        this(url, status, server, cookieNames, body, tls, error, null);
    }

    public PageEvidence withOtherScheme(String answer) {
        return new PageEvidence(url, status, server, cookieNames, body, tls, error, answer);
    }

    /** True when the port speaks the other scheme: the URL's http/https (and so ws/wss) is the wrong one. */
    public boolean schemeMismatch() {
        return otherScheme != null;
    }

    public boolean answered() {
        return error == null && status > 0;
    }

    public boolean hasSessionCookie() {
        return cookieNames.contains(TowerProtocol.SESSION_COOKIE);
    }

    public boolean hasCsrfCookie() {
        return cookieNames.contains(TowerProtocol.CSRF_COOKIE);
    }

    /** Evidence lines for checks about the page. */
    Map<String, String> evidence() {
        var e = new java.util.LinkedHashMap<String, String>();
        e.put("url", String.valueOf(url));
        if (error != null) {
            e.put("error", error.message());
        } else {
            e.put("status", String.valueOf(status));
            if (server != null) {
                e.put("server", server);
            }
            e.put("cookies", cookieNames.isEmpty() ? "(none)" : String.join(", ", new java.util.TreeSet<>(cookieNames)));
        }
        if (tls != null) {
            e.put("tls", tls.description() + (tls.verified() ? "" : " (NOT verified: --insecure)"));
        }
        if (otherScheme != null) {
            e.put("other scheme", otherScheme);
        }
        return e;
    }
}

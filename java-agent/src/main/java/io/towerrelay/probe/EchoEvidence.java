package io.towerrelay.probe;

import java.util.Locale;
import java.util.Map;

/**
 * What the upstream received, as the mock Tower's {@code /api/v2/mock/echo/} reports it. A real Tower
 * has no such endpoint: then {@link #available()} is false and the checks that need it are skipped.
 *
 * @param status     status of the echo request (0 when it failed)
 * @param hostSent   the Host a browser sends for the probed URL
 * @param seen       request headers the upstream received, names in lower case; null when unavailable
 * @param csrfStatus status of a POST with the page's Origin and CSRF token (Tower's CSRF check), 0 if not sent
 * @param csrfAnswer the start of that POST's answer body
 * @param upgrade    how a request with the WebSocket upgrade headers reached Tower, or null when not seen
 */
public record EchoEvidence(
        int status, String hostSent, Map<String, String> seen, int csrfStatus, String csrfAnswer, UpgradeEcho upgrade) {

    public EchoEvidence {
        seen = seen == null ? null : Map.copyOf(seen);
    }

    public static EchoEvidence unavailable(int status, String hostSent) {
        return new EchoEvidence(status, hostSent, null, 0, null, null);
    }

    /** True when Tower's CSRF check refused a same-origin POST (what a rewritten Host causes). */
    public boolean csrfRefused() {
        return csrfStatus == 403;
    }

    public boolean available() {
        return seen != null;
    }

    public String header(String name) {
        return seen == null ? null : seen.get(name.toLowerCase(Locale.ROOT));
    }

    /** True when the Host the upstream saw is the one the browser sent (ignoring case). */
    public boolean hostPreserved() {
        String host = header("host");
        return host != null && host.equalsIgnoreCase(hostSent);
    }

    /** Apache's mod_proxy adds X-Forwarded-Server (ProxyAddHeaders, on by default); NGINX and the relay do not. */
    public boolean viaApacheModProxy() {
        return header("x-forwarded-server") != null;
    }

    /** True when the upstream saw a Cookie header carrying the named cookie. */
    public boolean cookieArrived(String name) {
        String cookie = header("cookie");
        if (cookie == null) {
            return false;
        }
        for (String part : cookie.split(";")) {
            if (part.trim().startsWith(name + "=")) {
                return true;
            }
        }
        return false;
    }
}

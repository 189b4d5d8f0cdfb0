package io.towerrelay.probe;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Classifies one WebSocket handshake: pure function of the evidence, no network. */
final class HandshakeDiagnosis {

    private HandshakeDiagnosis() {
    }

    /**
     * @param h               the handshake
     * @param echo            what the upstream saw on a plain request (may be null or unavailable)
     * @param otherPathOpened true when the other WebSocket path opened fine
     */
    static Check diagnose(HandshakeEvidence h, EchoEvidence echo, boolean otherPathOpened) {
        String id = CheckIds.handshake(h.path());
        String title = "WebSocket handshake on " + h.path();
        Map<String, String> evidence = evidence(h);

        if (h.opened()) {
            return Check.pass(id, title, "Upgraded: the proxy passed the handshake and Tower answered 101.", evidence);
        }
        if (h.error() != null && h.error().kind().isTls()) {
            return Check.finding(id, title, CheckStatus.FAIL, Diagnosis.tlsCause(h.error().kind()),
                    "TLS failed on " + h.uri().getScheme() + "://: " + h.error().message(), evidence);
        }
        if (h.error() != null && (h.error().kind() == TransportError.Kind.REFUSED
                || h.error().kind() == TransportError.Kind.UNKNOWN_HOST)) {
            return Check.finding(id, title, CheckStatus.FAIL, Cause.UNREACHABLE,
                    "Could not connect: " + h.error().message(), evidence);
        }
        if (!h.answered()) {
            if (h.timedOut() || (h.error() != null && h.error().kind() == TransportError.Kind.TIMEOUT)) {
                return Check.finding(id, title, CheckStatus.FAIL, Cause.HANDSHAKE_TIMED_OUT,
                        "No answer to the WebSocket handshake within " + seconds(h.elapsedMillis())
                                + ": the proxy holds the upgrade request without completing it.", evidence);
            }
            return Check.finding(id, title, CheckStatus.FAIL, Cause.CLOSED_BEFORE_ESTABLISHED,
                    "The connection closed before the WebSocket was established (no HTTP answer), as the browser"
                            + " reports 'WebSocket is closed before the connection is established'.", evidence);
        }
        int status = h.status();
        if (status == 101) {
            return Check.finding(id, title, CheckStatus.FAIL, Cause.UPGRADE_MANGLED,
                    "Got 101 but the handshake was invalid"
                            + (h.detail() == null ? "" : " (" + h.detail() + ")") + ".", evidence);
        }
        if (status == 401 || status == 403) {
            return forbidden(id, title, h, echo, evidence);
        }
        if (status == 504) {
            return Check.finding(id, title, CheckStatus.FAIL, Cause.HANDSHAKE_TIMED_OUT,
                    "504 on the WebSocket handshake: the proxy gave up waiting for Tower's answer to the upgrade"
                            + " (the browser shows 'Unexpected response code: 504').", evidence);
        }
        if (status == 404 && otherPathOpened) {
            return Check.finding(id, title, CheckStatus.WARN, Cause.PATH_NOT_ROUTED,
                    "404 here while the other WebSocket path works: fine for Tower before AWX 23.8, broken for 23.8+"
                            + " which uses /api/websocket/.", evidence);
        }
        if (status == 400 || status == 404 || status == 405 || status == 426 || (status >= 200 && status < 300)) {
            String missing = "";
            if (echo != null && echo.upgrade() != null) {
                evidence.put("upgrade headers reaching Tower", echo.upgrade().describe());
                if (!echo.upgrade().missingNginxLines().isEmpty()) {
                    missing = " Tower received " + echo.upgrade().describe() + "; " + (echo.viaApacheModProxy()
                            ? "Apache (its X-Forwarded-Server reached Tower) passes the upgrade only with"
                                    + " upgrade=websocket on the ProxyPass line (2.4.47+)."
                            : "for NGINX that means missing: " + String.join(" ", echo.upgrade().missingNginxLines()));
                }
            }
            return Check.finding(id, title, CheckStatus.FAIL, Cause.UPGRADE_NOT_PASSED,
                    status + " instead of 101: Tower saw a plain GET, so the proxy did not pass the Upgrade and"
                            + " Connection headers (the browser shows 'Unexpected response code: " + status + "' or"
                            + " 'closed before the connection is established')." + missing, evidence);
        }
        return Check.finding(id, title, CheckStatus.FAIL, Cause.HANDSHAKE_REFUSED,
                status + " instead of 101 on the WebSocket handshake.", evidence);
    }

    private static Check forbidden(String id, String title, HandshakeEvidence h, EchoEvidence echo,
            Map<String, String> evidence) {
        String refused = h.status() + " on the WebSocket handshake: ";
        if (!h.sentSessionCookie()) {
            return Check.finding(id, title, CheckStatus.FAIL, Cause.NOT_LOGGED_IN, refused
                    + "there was no " + TowerProtocol.SESSION_COOKIE + " session cookie to send, and Tower refuses"
                    + " unauthenticated WebSockets.", evidence);
        }
        if (echo != null && echo.available()) {
            if (!echo.cookieArrived(TowerProtocol.SESSION_COOKIE)) {
                evidence.put("cookie reaching Tower", echo.header("cookie") == null ? "(none)" : echo.header("cookie"));
                return Check.finding(id, title, CheckStatus.FAIL, Cause.COOKIES_NOT_PASSED, refused
                        + "the session cookie was sent but did not reach Tower: the proxy drops cookies.", evidence);
            }
            if (!echo.hostPreserved()) {
                evidence.put("host sent", echo.hostSent());
                evidence.put("host reaching Tower", echo.header("host") == null ? "(none)" : echo.header("host"));
                return Check.finding(id, title, CheckStatus.FAIL, Cause.HOST_REWRITTEN, refused
                        + "the proxy rewrites Host, so the Origin " + h.origin()
                        + " no longer matches the Host Tower sees and its CSRF/Origin check refuses the socket.",
                        evidence);
            }
        }
        return Check.finding(id, title, CheckStatus.FAIL, Cause.HANDSHAKE_FORBIDDEN, refused
                + "the session cookie was sent; the Origin " + h.origin() + " or the session was refused.", evidence);
    }

    static Map<String, String> evidence(HandshakeEvidence h) {
        var e = new LinkedHashMap<String, String>();
        e.put("url", String.valueOf(h.uri()));
        e.put("origin sent", String.valueOf(h.origin()));
        e.put("cookies sent", h.cookiesSent().isEmpty() ? "(none)" : String.join(", ", h.cookiesSent()));
        if (h.answered()) {
            e.put("answer", h.statusLine() == null ? String.valueOf(h.status()) : h.statusLine());
            if (h.header("server") != null) {
                e.put("server", h.header("server"));
            }
            if (h.status() == 101) {
                for (String name : new String[] {"upgrade", "connection", "sec-websocket-accept"}) {
                    e.put(name, String.valueOf(h.header(name)));
                }
            }
            if (!h.body().isBlank()) {
                e.put("body", h.body().strip());
            }
        }
        if (h.error() != null) {
            e.put("error", h.error().message());
        }
        if (h.detail() != null) {
            e.put("client", h.detail());
        }
        if (h.timedOut() || h.elapsedMillis() >= 1000) {
            e.put("after", seconds(h.elapsedMillis()));
        }
        return e;
    }

    static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}

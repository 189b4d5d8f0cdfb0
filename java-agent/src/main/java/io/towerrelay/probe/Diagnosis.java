package io.towerrelay.probe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns what the probe observed into checks with causes and fixes. Pure functions of the evidence records:
 * no network, so every classification is unit-tested on hand-made evidence.
 */
public final class Diagnosis {

    private Diagnosis() {
    }

    public static ProbeReport diagnose(ProbeEvidence ev) {
        List<Check> checks = new ArrayList<>();
        PageEvidence page = ev.page();
        checks.add(tls(page));
        checks.add(page(page));
        boolean reachable = !page.schemeMismatch() && (page.error() == null
                || !(page.error().kind().isTls() || page.error().kind() == TransportError.Kind.REFUSED
                        || page.error().kind() == TransportError.Kind.UNKNOWN_HOST));
        if (!reachable) {
            for (String path : TowerProtocol.WEBSOCKET_PATHS) {
                checks.add(Check.skip(CheckIds.handshake(path), "WebSocket handshake on " + path,
                        page.schemeMismatch() ? "Not tried: wrong scheme for this port (see the tls check)."
                                : "Not tried: the page could not be loaded."));
            }
        } else {
            for (HandshakeEvidence h : ev.handshakes()) {
                boolean otherOpened = ev.handshakes().stream().anyMatch(o -> o != h && o.opened());
                checks.add(HandshakeDiagnosis.diagnose(h, ev.echo(), otherOpened));
            }
        }
        checks.add(subscription(ev.session()));
        checks.add(events(ev.session()));
        checks.add(idle(ev));
        checks.add(hostHeader(ev.echo()));
        checks.add(clientAddress(ev.echo(), ev.settings()));
        return new ProbeReport(String.valueOf(page.url()), checks);
    }

    static Cause tlsCause(TransportError.Kind kind) {
        return switch (kind) {
            case TLS_UNTRUSTED -> Cause.TLS_UNTRUSTED;
            case TLS_HOSTNAME -> Cause.TLS_HOSTNAME_MISMATCH;
            case TLS_NOT_TLS -> Cause.TLS_SCHEME_MISMATCH;
            default -> Cause.TLS_FAILED;
        };
    }

    static Check tls(PageEvidence page) {
        String title = "TLS (https:// page, wss:// live events)";
        boolean https = "https".equalsIgnoreCase(page.url().getScheme());
        if (page.schemeMismatch()) {
            return Check.finding(CheckIds.TLS, title, CheckStatus.FAIL, Cause.TLS_SCHEME_MISMATCH, https
                    ? "This port does not speak TLS: the URL says https:// (so wss://) but " + page.otherScheme() + "."
                    : "This port speaks TLS: the URL says http:// (so ws://) but " + page.otherScheme() + ".",
                    page.evidence());
        }
        if (!https) {
            // NGINX answers plain HTTP on a TLS port with 400 and this text; Apache with a 400 about "SSL-enabled".
            String body = page.body().toLowerCase(Locale.ROOT);
            if (page.status() == 400 && (body.contains("plain http request was sent to https port")
                    || body.contains("speaking plain http to an ssl-enabled server"))) {
                return Check.finding(CheckIds.TLS, title, CheckStatus.FAIL, Cause.TLS_SCHEME_MISMATCH,
                        "This port serves HTTPS but the URL says http://; live events would use ws:// where wss:// is"
                                + " needed.", page.evidence());
            }
            return Check.skip(CheckIds.TLS, title, "Plain http:// URL: no TLS, live events use ws://.");
        }
        if (page.error() != null && page.error().kind().isTls()) {
            Cause cause = tlsCause(page.error().kind());
            String what = switch (cause) {
                case TLS_UNTRUSTED -> "The server's certificate is not trusted: " + page.error().message();
                case TLS_HOSTNAME_MISMATCH -> "The certificate does not match the host " + page.url().getHost() + ".";
                case TLS_SCHEME_MISMATCH -> "This port does not speak TLS: the URL says https:// but the server"
                        + " answers plain HTTP.";
                default -> "The TLS handshake failed: " + page.error().message();
            };
            return Check.finding(CheckIds.TLS, title, CheckStatus.FAIL, cause, what, page.evidence());
        }
        if (page.tls() == null) {
            return Check.skip(CheckIds.TLS, title, "No TLS session was established.");
        }
        if (!page.tls().verified()) {
            return new Check(CheckIds.TLS, title, CheckStatus.WARN, null, "TLS works, but the certificate was not"
                    + " verified (--insecure); browsers will verify it.", page.evidence(), Advice.words(
                    "Run again with --ca FILE (the CA that signed the proxy's certificate) to check what browsers"
                            + " will check."));
        }
        return Check.pass(CheckIds.TLS, title, "The certificate is valid for " + page.url().getHost() + ".",
                page.evidence());
    }

    static Check page(PageEvidence page) {
        String title = "Tower page loads and sets its cookies";
        if (page.error() != null || page.schemeMismatch()) {
            if (page.schemeMismatch() || page.error().kind().isTls()) {
                return Check.skip(CheckIds.PAGE, title, "Not loaded: TLS failed (see the tls check).");
            }
            return Check.finding(CheckIds.PAGE, title, CheckStatus.FAIL,
                    page.error().kind() == TransportError.Kind.REFUSED
                            || page.error().kind() == TransportError.Kind.UNKNOWN_HOST
                            || page.error().kind() == TransportError.Kind.TIMEOUT ? Cause.UNREACHABLE
                            : Cause.PAGE_ERROR,
                    "The page did not load: " + page.error().message(), page.evidence());
        }
        if (page.status() >= 400) {
            return Check.finding(CheckIds.PAGE, title, CheckStatus.FAIL, Cause.PAGE_ERROR,
                    "The page answered " + page.status() + ".", page.evidence());
        }
        String cookies = page.hasSessionCookie() && page.hasCsrfCookie() ? "with the session and CSRF cookies"
                : "without " + (page.hasSessionCookie() ? "" : TowerProtocol.SESSION_COOKIE + " ")
                        + (page.hasCsrfCookie() ? "" : TowerProtocol.CSRF_COOKIE) + " (needed for live events)";
        return Check.pass(CheckIds.PAGE, title, "Loaded (" + page.status() + ") " + cookies.strip() + ".",
                page.evidence());
    }

    static Check subscription(SessionEvidence s) {
        String title = "Tower accepts the socket and the subscription";
        if (s == null) {
            return Check.skip(CheckIds.SUBSCRIPTION, title, "No WebSocket opened.");
        }
        Map<String, String> e = sessionEvidence(s);
        if (s.accept() == null) {
            return Check.finding(CheckIds.SUBSCRIPTION, title, CheckStatus.FAIL,
                    s.close() != null ? Cause.CLOSED_WHILE_STREAMING : Cause.NO_ACCEPT,
                    "The WebSocket opened but Tower never sent its accept message"
                            + (s.close() != null ? "; it " + s.close().describe() : "") + ".", e);
        }
        return switch (s.subscription()) {
            case JOINED -> Check.pass(CheckIds.SUBSCRIPTION, title, "Tower accepted the socket and joined the"
                    + " job event and job status groups.", e);
            case REFUSED -> Check.finding(CheckIds.SUBSCRIPTION, title, CheckStatus.FAIL,
                    Cause.SUBSCRIPTION_REFUSED, "Tower refused the subscription"
                            + (s.xrftokenSent() ? " although the csrftoken cookie was sent as xrftoken"
                                    : ": there was no csrftoken cookie to send as xrftoken")
                            + ".", e);
            case NO_REPLY, NOT_SENT -> Check.finding(CheckIds.SUBSCRIPTION, title, CheckStatus.FAIL,
                    s.close() != null ? Cause.CLOSED_WHILE_STREAMING : Cause.NO_EVENTS,
                    "Tower did not answer the subscription"
                            + (s.close() != null ? "; the socket " + s.close().describe() : "") + ".", e);
        };
    }

    static Check events(SessionEvidence s) {
        String title = "Live events arrive in order";
        if (s == null || s.subscription() != SessionEvidence.Subscription.JOINED) {
            return Check.skip(CheckIds.EVENTS, title, "No subscription to receive events on.");
        }
        Map<String, String> e = sessionEvidence(s);
        if (!s.countersIncrease()) {
            return Check.finding(CheckIds.EVENTS, title, CheckStatus.FAIL, Cause.EVENTS_OUT_OF_ORDER,
                    "Job events arrived out of order: counters " + s.counters() + ".", e);
        }
        if (s.counters().isEmpty() && s.statusEvents() == 0) {
            if (s.close() != null) {
                return Check.finding(CheckIds.EVENTS, title, CheckStatus.FAIL, Cause.CLOSED_WHILE_STREAMING,
                        "No events arrived; the socket " + s.close().describe() + ".", e);
            }
            return Check.finding(CheckIds.EVENTS, title, CheckStatus.FAIL, Cause.NO_EVENTS,
                    "Subscribed, but no events arrived within " + HandshakeDiagnosis.seconds(s.waitedMillis())
                            + ".", e);
        }
        if (s.close() != null) {
            return Check.finding(CheckIds.EVENTS, title, CheckStatus.FAIL, Cause.CLOSED_WHILE_STREAMING,
                    s.counters().size() + " events arrived, then the socket " + s.close().describe() + ".", e);
        }
        return Check.pass(CheckIds.EVENTS, title, s.counters().size() + " job events (counters in order) and "
                + s.statusEvents() + " job status message(s) arrived through the proxy.", e);
    }

    static Check idle(ProbeEvidence ev) {
        String title = "An idle WebSocket survives";
        if (ev.idleRequestedSeconds() <= 0) {
            return Check.skip(CheckIds.IDLE, title, "Not requested (use --idle SECONDS, e.g. --idle 90 to cover"
                    + " NGINX's 60 s default).");
        }
        IdleEvidence idle = ev.idle();
        if (idle == null) {
            return Check.skip(CheckIds.IDLE, title, "Not tried: live events did not work.");
        }
        var e = new LinkedHashMap<String, String>();
        e.put("idle for", idle.requestedSeconds() + " s");
        if (idle.close() != null) {
            e.put("close", idle.close().describe());
        }
        e.put("messages while idle", String.valueOf(idle.messagesDuringIdle()));
        if (idle.close() != null) {
            return Check.finding(CheckIds.IDLE, title, CheckStatus.FAIL, Cause.IDLE_CUT,
                    "The idle WebSocket was " + idle.close().describe()
                            + ": a proxy read timeout shorter than Tower's quiet spells cuts live events.", e);
        }
        if (!idle.eventAfterIdle()) {
            return Check.finding(CheckIds.IDLE, title, CheckStatus.FAIL, Cause.IDLE_DEAF,
                    "The socket looked open after " + idle.requestedSeconds() + " s idle, but no event came"
                            + " through it any more.", e);
        }
        String note = idle.messagesDuringIdle() > 0
                ? " (" + idle.messagesDuringIdle() + " messages kept it from being fully idle)" : "";
        return Check.pass(CheckIds.IDLE, title, "Still open after " + idle.requestedSeconds()
                + " s idle, and events flowed again" + note + ".", e);
    }

    static Check hostHeader(EchoEvidence echo) {
        String title = "Host header reaches Tower unchanged";
        if (echo == null) {
            return Check.skip(CheckIds.HOST_HEADER, title, "Not tried: the page could not be loaded.");
        }
        if (!echo.available()) {
            return Check.skip(CheckIds.HOST_HEADER, title, "Cannot see what reached Tower (only the mock Tower has"
                    + " " + TowerProtocol.ECHO_PATH + ").");
        }
        var e = new LinkedHashMap<String, String>();
        e.put("host sent", echo.hostSent());
        e.put("host reaching Tower", orNone(echo.header("host")));
        if (echo.csrfStatus() != 0) {
            e.put("same-origin POST", echo.csrfStatus()
                    + (echo.csrfAnswer() == null || echo.csrfAnswer().isBlank() ? "" : " " + echo.csrfAnswer().strip()));
        }
        if (echo.hostPreserved() && !echo.csrfRefused()) {
            return Check.pass(CheckIds.HOST_HEADER, title, "Tower sees the Host the browser sent.", e);
        }
        if (echo.hostPreserved()) {
            return Check.finding(CheckIds.HOST_HEADER, title, CheckStatus.FAIL, Cause.HANDSHAKE_FORBIDDEN,
                    "Host reaches Tower unchanged, but its CSRF check refused a same-origin POST.", e);
        }
        return Check.finding(CheckIds.HOST_HEADER, title, CheckStatus.FAIL, Cause.HOST_REWRITTEN,
                "The proxy rewrites Host to " + echo.header("host") + "; Tower's CSRF check "
                        + (echo.csrfRefused() ? "refused" : "will refuse") + " a same-origin POST from "
                        + "the page, so logins, job launches and Origin-checked WebSockets fail.", e);
    }

    static Check clientAddress(EchoEvidence echo, SettingsEvidence settings) {
        String title = "Client address forwarded to Tower";
        if (echo == null && !settings.read()) {
            return Check.skip(CheckIds.CLIENT_ADDRESS, title, "Not tried: the page could not be loaded.");
        }
        var e = new LinkedHashMap<String, String>();
        boolean echoed = echo != null && echo.available();
        if (echoed) {
            e.put("x-forwarded-for reaching Tower", orNone(echo.header("x-forwarded-for")));
            if (echo.header("x-forwarded-proto") != null) {
                e.put("x-forwarded-proto reaching Tower", echo.header("x-forwarded-proto"));
            }
        }
        if (settings.read()) {
            e.put("REMOTE_HOST_HEADERS", String.valueOf(settings.remoteHostHeaders()));
        }
        if (echoed && echo.header("x-forwarded-for") == null) {
            return Check.finding(CheckIds.CLIENT_ADDRESS, title, CheckStatus.WARN,
                    Cause.CLIENT_ADDRESS_NOT_FORWARDED, "No X-Forwarded-For reached Tower: it logs the proxy's"
                            + " address instead of the user's (no proxy at all looks the same).", e);
        }
        if (settings.read() && !settings.remoteHostHeaders().contains(TowerProtocol.FORWARDED_FOR_SETTING)) {
            return Check.finding(CheckIds.CLIENT_ADDRESS, title, CheckStatus.WARN,
                    Cause.REMOTE_HOST_HEADERS_MISSING, "REMOTE_HOST_HEADERS does not include "
                            + TowerProtocol.FORWARDED_FOR_SETTING + ", so Tower ignores X-Forwarded-For.", e);
        }
        if (!echoed && !settings.read()) {
            return Check.skip(CheckIds.CLIENT_ADDRESS, title, "Cannot see what reached Tower: run against the mock"
                    + " Tower, or give --user/--password to read REMOTE_HOST_HEADERS.");
        }
        return Check.pass(CheckIds.CLIENT_ADDRESS, title, echoed
                ? "Tower receives X-Forwarded-For: " + echo.header("x-forwarded-for") + "."
                : "REMOTE_HOST_HEADERS includes " + TowerProtocol.FORWARDED_FOR_SETTING + ".", e);
    }

    private static String orNone(String value) {
        return value == null ? "(none)" : value;
    }

    private static Map<String, String> sessionEvidence(SessionEvidence s) {
        var e = new LinkedHashMap<String, String>();
        e.put("path", s.path());
        e.put("accept message", String.valueOf(s.accept()));
        e.put("xrftoken sent", String.valueOf(s.xrftokenSent()));
        e.put("subscription", s.subscription().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        if (s.reply() != null) {
            e.put("reply", s.reply());
        }
        e.put("job event counters", s.counters().toString());
        e.put("status changes", String.valueOf(s.statusEvents()));
        if (s.close() != null) {
            e.put("close", s.close().describe());
        }
        return e;
    }
}

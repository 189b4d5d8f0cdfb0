package io.towerrelay.probe;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.java_websocket.exceptions.WebsocketNotConnectedException;

/**
 * Runs the probe against a URL: the network half. It only gathers {@link ProbeEvidence}; what it means is
 * decided by {@link Diagnosis}.
 */
public final class LiveEventsProbe {
    private final ProbeOptions options;
    private final Consumer<String> progress;

    public LiveEventsProbe(ProbeOptions options) {
        this(options, step -> { });
    }

    /** @param progress told each step as it starts (the CLI shows them on stderr; long idle waits need it) */
    public LiveEventsProbe(ProbeOptions options, Consumer<String> progress) {
        this.options = options;
        this.progress = progress;
    }

    /** Set by {@link #gather()}: the node that answered {@code /api/v2/ping/}. */
    private String activeNode;

    public ProbeReport run() throws InterruptedException {
        ProbeEvidence evidence = gather();
        return Diagnosis.diagnose(evidence).withActiveNode(activeNode);
    }

    ProbeEvidence gather() throws InterruptedException {
        try (PageClient http = new PageClient(options)) {
            progress.accept("loading " + options.url());
            PageEvidence page = http.fetchPage();
            if (mayBeTheOtherScheme(page)) {
                page = page.withOtherScheme(SchemeCrossCheck.otherScheme(page.url(), options.timeout()));
            }
            if (nothingMoreToLearn(page)) {
                return new ProbeEvidence(page, null, null, List.of(), null, null, options.idle().toSeconds());
            }
            URI base = page.url();
            if (options.hasCredentials() && !page.hasSessionCookie()) {
                http.login(base);
            }
            progress.accept("asking which Tower node answers (" + TowerProtocol.PING_PATH + ")");
            activeNode = http.activeNode(base);
            progress.accept("asking what reaches Tower (" + TowerProtocol.ECHO_PATH + ")");
            EchoEvidence echo = http.echo(base);
            SettingsEvidence settings = http.settings(base);

            SSLContext tls = TlsTrust.context(options);
            List<HandshakeEvidence> handshakes = new ArrayList<>();
            ProbeSocket live = null;
            String livePath = null;
            for (String path : TowerProtocol.WEBSOCKET_PATHS) {
                progress.accept("opening " + BrowserHeaders.websocket(base, path));
                ProbeSocket socket = open(base, path, http, tls);
                handshakes.add(evidence(socket, base, path, http));
                if (socket.opened() && live == null) {
                    live = socket;
                    livePath = path;
                } else {
                    socket.closeConnection(1000, "probe done");
                }
            }
            SessionEvidence session = null;
            IdleEvidence idle = null;
            if (live != null) {
                try {
                    TowerSession tower = new TowerSession(live, livePath, http.cookie(TowerProtocol.CSRF_COOKIE),
                            options.jobId(), options.timeout());
                    progress.accept("subscribing on " + livePath + " and waiting for " + options.eventsWanted()
                            + " job events");
                    session = tower.run(options.eventsWanted());
                    boolean eventsFlow = session.subscription() == SessionEvidence.Subscription.JOINED
                            && session.close() == null && !session.counters().isEmpty();
                    if (!options.idle().isZero() && eventsFlow) {
                        progress.accept("staying idle for " + options.idle().toSeconds() + " s");
                        idle = tower.idle(options.idle());
                    }
                } catch (WebsocketNotConnectedException e) {
                    // closed under us: the session evidence records the close
                } finally {
                    live.close(1000, "probe done");
                }
            }
            return new ProbeEvidence(page, echo, settings, handshakes, session, idle, options.idle().toSeconds());
        } catch (IOException e) {
            throw new IllegalStateException("closing the HTTP client failed", e);
        }
    }

    /**
     * Wrong scheme, refused, unknown host, untrusted certificate: the WebSockets would fail the same way, so
     * the probe stops. A page that timed out or was cut may still leave the WebSocket paths worth trying.
     */
    private static boolean nothingMoreToLearn(PageEvidence page) {
        if (page.schemeMismatch()) {
            return true;
        }
        return page.error() != null && switch (page.error().kind()) {
            case TIMEOUT, CLOSED, IO -> false;
            default -> true;
        };
    }

    /**
     * Failures a scheme mix-up looks like: no usable answer after connecting (a plain port hangs or resets on a
     * ClientHello, or the JDK calls its answer "not TLS"), or a 400 to plain HTTP. A certificate complaint proves
     * the port speaks TLS, so it is not one of them.
     */
    private static boolean mayBeTheOtherScheme(PageEvidence page) {
        if (page.error() == null) {
            return page.status() == 400;
        }
        return switch (page.error().kind()) {
            case TLS_NOT_TLS, TIMEOUT, CLOSED, IO -> true;
            default -> false;
        };
    }

    private ProbeSocket open(URI base, String path, PageClient http, SSLContext tls) throws InterruptedException {
        URI ws = BrowserHeaders.websocket(base, path);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Origin", BrowserHeaders.origin(base));
        headers.put("User-Agent", ProbeSocket.USER_AGENT);
        Map<String, String> cookies = http.cookiesFor(ws);
        if (!cookies.isEmpty()) {
            headers.put("Cookie", BrowserHeaders.cookieHeader(cookies));
        }
        ProbeSocket socket = ProbeSocket.create(ws, headers, tls, !options.insecure(), options.timeout());
        if (!socket.await(options.timeout())) {
            socket.closeConnection(1006, "probe timeout");
        }
        return socket;
    }

    private static HandshakeEvidence evidence(ProbeSocket socket, URI base, String path, PageClient http) {
        URI ws = BrowserHeaders.websocket(base, path);
        List<String> sent = new ArrayList<>(http.cookiesFor(ws).keySet());
        byte[] answer = socket.answer();
        HttpHead head = answer == null ? null : HttpHead.parse(answer);
        CloseInfo close = socket.closeInfo();
        boolean timedOut = !socket.opened() && close != null && "probe timeout".equals(close.reason())
                && (head == null || head.status() == 0);
        Exception error = socket.error();
        TransportError transport = error == null || (head != null && head.status() > 0) ? null
                : TransportError.of(error);
        String detail = close == null || socket.opened() ? null : close.reason();
        return new HandshakeEvidence(path, ws, BrowserHeaders.origin(base), sent,
                head == null ? 0 : head.status(), head == null ? null : head.statusLine(),
                head == null ? Map.of() : head.headers(), head == null ? "" : head.body(),
                socket.opened(), timedOut, transport, detail, close == null ? socket.phaseMillis() : close.afterMillis());
    }
}

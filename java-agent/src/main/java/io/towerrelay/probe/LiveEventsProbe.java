package io.towerrelay.probe;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.java_websocket.exceptions.WebsocketNotConnectedException;

/**
 * Runs the probe against a URL: the network half. It only gathers {@link ProbeEvidence}; what it means is
 * decided by {@link Diagnosis}.
 */
public final class LiveEventsProbe {
    private final ProbeOptions options;

    public LiveEventsProbe(ProbeOptions options) {
        this.options = options;
    }

    public ProbeReport run() throws InterruptedException {
        return Diagnosis.diagnose(gather());
    }

    ProbeEvidence gather() throws InterruptedException {
        try (PageClient http = new PageClient(options)) {
            PageEvidence page = http.fetchPage();
            if (page.error() != null && page.error().kind() != TransportError.Kind.TIMEOUT
                    && page.error().kind() != TransportError.Kind.CLOSED
                    && page.error().kind() != TransportError.Kind.IO) {
                return new ProbeEvidence(page, null, null, List.of(), null, null, options.idle().toSeconds());
            }
            URI base = page.url();
            if (options.hasCredentials() && !page.hasSessionCookie()) {
                http.login(base);
            }
            EchoEvidence echo = http.echo(base);
            SettingsEvidence settings = http.settings(base);

            SSLContext tls = TlsTrust.context(options);
            List<HandshakeEvidence> handshakes = new ArrayList<>();
            ProbeSocket live = null;
            String livePath = null;
            for (String path : TowerProtocol.WEBSOCKET_PATHS) {
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
                    session = tower.run(options.eventsWanted());
                    boolean eventsFlow = session.subscription() == SessionEvidence.Subscription.JOINED
                            && session.close() == null && !session.counters().isEmpty();
                    if (!options.idle().isZero() && eventsFlow) {
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

package io.towerrelay.probe;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Hand-made evidence for the diagnosis tests: a healthy setup, changed one thing at a time. */
final class Evidence {
    static final URI PAGE_URL = URI.create("http://tower.example.com/");
    static final List<String> COOKIES = List.of("awx_sessionid", "csrftoken");

    private Evidence() {
    }

    static PageEvidence page() {
        return new PageEvidence(PAGE_URL, 200, "nginx/1.22.1", Set.copyOf(COOKIES), "<html>", null, null);
    }

    static HandshakeEvidence opened(String path) {
        return new HandshakeEvidence(path, URI.create("ws://tower.example.com" + path), "http://tower.example.com",
                COOKIES, 101, "HTTP/1.1 101 Switching Protocols", Map.of("upgrade", "websocket"), "", true, false,
                null, null, 12);
    }

    static HandshakeEvidence answered(String path, int status, String body) {
        return new HandshakeEvidence(path, URI.create("ws://tower.example.com" + path), "http://tower.example.com",
                COOKIES, status, "HTTP/1.1 " + status + " X", Map.of("server", "nginx/1.22.1"), body, false, false,
                null, "Invalid status code received: " + status, 12);
    }

    static SessionEvidence streaming() {
        return new SessionEvidence("/api/websocket/", "{\"accept\": true, \"user\": 1}", true,
                SessionEvidence.Subscription.JOINED, "{\"groups_current\": []}", List.of(1L, 2L, 3L), 1, 0, null,
                1500);
    }

    static EchoEvidence echo(Map<String, String> seen) {
        return new EchoEvidence(200, "tower.example.com", seen, 200, "{}", null);
    }

    static EchoEvidence healthyEcho() {
        return echo(Map.of("host", "tower.example.com", "cookie", "awx_sessionid=a; csrftoken=b",
                "x-forwarded-for", "203.0.113.9"));
    }

    static ProbeEvidence healthy() {
        return new ProbeEvidence(page(), healthyEcho(), SettingsEvidence.NOT_READ,
                List.of(opened("/api/websocket/"), opened("/websocket/")), streaming(), null, 0);
    }

    static ProbeEvidence withHandshakes(HandshakeEvidence... handshakes) {
        boolean any = List.of(handshakes).stream().anyMatch(HandshakeEvidence::opened);
        return new ProbeEvidence(page(), healthyEcho(), SettingsEvidence.NOT_READ, List.of(handshakes),
                any ? streaming() : null, null, 0);
    }
}

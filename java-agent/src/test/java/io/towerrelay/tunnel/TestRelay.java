package io.towerrelay.tunnel;

import io.towerrelay.config.AccessLogFormat;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.config.WebSocketConfig;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.hc.core5.util.Timeout;

/**
 * The real relay ({@link RelayServer}) on an ephemeral loopback port, admin listener on another, access log in
 * JSON captured so that tests can check the line each tunnel or refused handshake leaves.
 */
final class TestRelay implements AutoCloseable {

    final RelayServer server;
    final InetSocketAddress address;
    private final ByteArrayOutputStream accessLogBytes = new ByteArrayOutputStream();

    TestRelay(RelayConfig config) throws Exception {
        server = RelayServer.start(config, new PrintStream(accessLogBytes, true, StandardCharsets.UTF_8));
        address = server.listenAddress();
    }

    /** Relay defaults, loopback and ephemeral ports, JSON access log, a short shutdown grace for tests. */
    static RelayConfig config(URI upstream) {
        return RelayConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0))
                .withAdmin(new InetSocketAddress("127.0.0.1", 0))
                .withUpstream(upstream)
                .withAccessLog(AccessLogFormat.JSON)
                .withShutdownGrace(Timeout.ofSeconds(2));
    }

    static RelayConfig withTlsListener(RelayConfig config, TestCertificates certs) {
        return config.withListen(config.listen().withTls(new TlsFiles(certs.certPem, certs.keyPem)));
    }

    static RelayConfig withTrustedUpstream(RelayConfig config, TestCertificates certs) {
        return config.withUpstream(config.upstream().withTls(true, certs.caPem));
    }

    static RelayConfig withIdleTimeout(RelayConfig config, Timeout idle) {
        return config.withWebSocket(config.websocket().withIdleTimeout(idle));
    }

    static RelayConfig withAllowedOrigins(RelayConfig config, Set<String> origins) {
        return config.withWebSocket(config.websocket().withAllowedOrigins(origins));
    }

    static RelayConfig withHandshakeTimeout(RelayConfig config, Timeout handshake) {
        WebSocketConfig ws = config.websocket();
        return config.withWebSocket(new WebSocketConfig(ws.idleTimeout(), handshake, ws.allowedOrigins(), ws.blockedPaths()));
    }

    URI uri(String scheme, String path) {
        return URI.create(scheme + "://127.0.0.1:" + address.getPort() + path);
    }

    long openTunnels() {
        return server.metrics().activeTunnels();
    }

    /** Access-log lines so far. */
    List<String> accessLog() {
        String text;
        synchronized (accessLogBytes) {
            text = accessLogBytes.toString(StandardCharsets.UTF_8);
        }
        return Arrays.stream(text.split("\n")).filter(line -> !line.isBlank()).toList();
    }

    /** Access-log lines of WebSocket handshakes and tunnels. */
    List<String> tunnelLog() {
        return accessLog().stream().filter(line -> line.contains("\"type\":\"websocket\"")).toList();
    }

    /** Whether a WebSocket access-log line for {@code target} with {@code status} (and the note, when given) exists. */
    boolean logged(String target, int status, String note) {
        return tunnelLog().stream().anyMatch(line -> line.contains("\"target\":\"" + target + "\"")
                && line.contains("\"status\":" + status + ",") && (note == null || line.contains(note)));
    }

    @Override
    public void close() {
        server.close();
    }
}

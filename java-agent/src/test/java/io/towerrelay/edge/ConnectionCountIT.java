package io.towerrelay.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code towerrelay_connections_active} counts the connections the gate admitted, and only their ends. HttpCore5
 * reports a TLS session as connected only after its handshake, but reports every session's disconnect: a failed
 * handshake used to be counted as a close, and the gauge (which {@code limits.max-connections} is checked against)
 * went below zero, one per failed handshake.
 */
class ConnectionCountIT {
    @TempDir
    static Path dir;

    @Test
    void failedTlsHandshakesDoNotLowerTheConnectionCount() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral());
                RelayServer relay = RelayServer.start(RelayConfig.defaults()
                        .withListen(new ListenConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                                new TlsFiles(certs.certPem, certs.keyPem)))
                        .withAdmin(null).withUpstream(URI.create("http://" + tower.hostAndPort()))
                        .withShutdownGrace(Timeout.ofSeconds(1)),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
            for (int i = 0; i < 5; i++) {
                try (Socket plain = new Socket()) {
                    plain.connect(relay.listenAddress(), 10_000);
                    plain.setSoTimeout(10_000);
                    RawHttp.send(plain, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // not a ClientHello
                    while (plain.getInputStream().read() >= 0) {
                        // until the relay closes
                    }
                } catch (java.io.IOException reset) {
                    // closed: what is wanted
                }
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> relay.metrics().activeConnections() == 0);
            try (Socket socket = new Socket()) {
                socket.connect(relay.listenAddress(), 10_000);
                SSLSocket secure = (SSLSocket) certs.clientContext().getSocketFactory()
                        .createSocket(socket, "localhost", relay.listenAddress().getPort(), true);
                secure.setSoTimeout(10_000);
                secure.startHandshake();
                RawHttp.send(secure, "GET /api/v2/ping/ HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(RawHttp.read(secure.getInputStream()).status()).isEqualTo(200);
                assertThat(relay.metrics().activeConnections()).isEqualTo(1);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> relay.metrics().activeConnections() == 0);
        }
    }
}

package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.testsupport.RawHttp;
import io.towerrelay.testsupport.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Idle timeout, TLS on either side, shutdown. */
class TunnelLifecycleIT {

    @TempDir
    static Path certDir;
    private static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(certDir);
    }

    @Test
    void idleTunnelIsClosedAndTrafficKeepsItOpen() throws Exception {
        EchoUpstream tower = new EchoUpstream(null);
        try (TestRelay relay = new TestRelay(TestRelay.withIdleTimeout(TestRelay.config(tower.uri("http")),
                Timeout.ofMilliseconds(1500)))) {
            TestClient busy = TestClient.connect(relay.uri("ws", "/websocket/"), null);
            TestClient idle = TestClient.connect(relay.uri("ws", "/api/websocket/"), null);
            assertThat(idle.nextEvent()).startsWith("open");
            // The busy tunnel talks every 300 ms for 4.5 s, three idle timeouts' worth: it must stay open.
            for (int i = 0; i < 15; i++) {
                busy.send("event " + i);
                assertThat(busy.next()).isEqualTo("event " + i);
                Thread.sleep(300);
            }
            assertThat(busy.isOpen()).isTrue();
            // The silent one was closed by the relay meanwhile.
            assertThat(idle.nextEvent()).startsWith("close 1006");
            await().atMost(Duration.ofSeconds(10)).until(() -> relay.logged("/api/websocket/", 101, "closed by idle-timeout"));
            // And once the busy one falls silent, it goes the same way.
            assertThat(busy.nextEvent()).startsWith("open");
            assertThat(busy.nextEvent()).startsWith("close 1006");
        } finally {
            tower.shutdown();
        }
    }

    @Test
    void wssListenerToWssUpstream() throws Exception {
        EchoUpstream tower = new EchoUpstream(certs.serverContext());
        try (TestRelay relay = new TestRelay(TestRelay.withTlsListener(
                TestRelay.withTrustedUpstream(TestRelay.config(tower.uri("https")), certs), certs))) {
            TestClient client = TestClient.connect(relay.uri("wss", "/websocket/"), certs.clientContext());
            client.send("over TLS twice");
            assertThat(client.next()).isEqualTo("over TLS twice");
            byte[] big = new byte[3 * 1024 * 1024 + 17];
            new java.util.Random(7).nextBytes(big);
            client.send(big);
            assertThat((byte[]) client.next()).isEqualTo(big);
            client.close(4003, "tls bye");
            await().atMost(Duration.ofSeconds(20)).until(() -> tower.events.contains("closing 4003 tls bye remote=true"));
        } finally {
            tower.shutdown();
        }
    }

    @Test
    void wssListenerToPlainUpstream() throws Exception {
        EchoUpstream tower = new EchoUpstream(null);
        try (TestRelay relay = new TestRelay(TestRelay.withTlsListener(TestRelay.config(tower.uri("http")), certs))) {
            TestClient client = TestClient.connect(relay.uri("wss", "/websocket/"), certs.clientContext());
            client.send("tls on the edge");
            assertThat(client.next()).isEqualTo("tls on the edge");
            client.send("close:4004:upstream bye");
            assertThat(client.nextEvent()).startsWith("open");
            assertThat(client.nextEvent()).isEqualTo("close 4004 upstream bye remote=true");
        } finally {
            tower.shutdown();
        }
    }

    @Test
    void wssClientGetsEverythingTheUpstreamSentBeforeItClosed() throws Exception {
        // The upstream's end is passed on under TLS as close_notify after the last record, never as a bare FIN
        // under the TLS layer, which would cut off what it has not written yet.
        byte[] payload = new byte[4 * 1024 * 1024];
        new java.util.Random(11).nextBytes(payload);
        try (java.net.ServerSocket tower = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
             TestRelay relay = new TestRelay(TestRelay.withTlsListener(
                     TestRelay.config(java.net.URI.create("http://127.0.0.1:" + tower.getLocalPort())), certs))) {
            Thread upstreamSide = new Thread(() -> {
                try (java.net.Socket connection = tower.accept()) {
                    String request = RawHttp.head(connection.getInputStream());
                    java.io.OutputStream out = connection.getOutputStream();
                    out.write(RawHttp.bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            + "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                            + RawHttp.accept(RawHttp.headerOf(request, "Sec-WebSocket-Key")) + "\r\n\r\n"));
                    out.write(payload);
                } catch (java.io.IOException ignored) {
                    // the client side's assertion says what went wrong
                }
            }, "closing-upstream");
            upstreamSide.setDaemon(true);
            upstreamSide.start();
            try (java.net.Socket socket = certs.clientContext().getSocketFactory()
                    .createSocket("127.0.0.1", relay.address.getPort())) {
                socket.setSoTimeout(10_000);
                RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
                java.io.InputStream in = socket.getInputStream();
                assertThat(RawHttp.head(in)).startsWith("HTTP/1.1 101");
                assertThat(java.util.Arrays.equals(in.readAllBytes(), payload)).as("all 4 MiB, then the end").isTrue();
            }
        }
    }

    @Test
    void plainListenerToWssUpstream() throws Exception {
        EchoUpstream tower = new EchoUpstream(certs.serverContext());
        try (TestRelay relay = new TestRelay(TestRelay.withTrustedUpstream(TestRelay.config(tower.uri("https")), certs))) {
            TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
            client.send("tls upstream");
            assertThat(client.next()).isEqualTo("tls upstream");
            client.closeBlocking();
        } finally {
            tower.shutdown();
        }
    }

    @Test
    void untrustedUpstreamCertificateIs502() throws Exception {
        EchoUpstream tower = new EchoUpstream(certs.serverContext());
        // Default trust (the JDK's CAs) does not know the test certificate.
        try (TestRelay relay = new TestRelay(TestRelay.config(tower.uri("https")));
             java.net.Socket socket = new java.net.Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(502);
        } finally {
            tower.shutdown();
        }
    }

    @Test
    void shuttingTheRelayDownClosesOpenTunnels() throws Exception {
        EchoUpstream tower = new EchoUpstream(null);
        TestRelay relay = new TestRelay(TestRelay.config(tower.uri("http")));
        try {
            TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
            assertThat(client.nextEvent()).startsWith("open");
            Thread closer = new Thread(relay::close, "relay-shutdown");
            closer.start();
            assertThat(client.nextEvent()).startsWith("close");
            await().atMost(Duration.ofSeconds(10)).until(() -> relay.openTunnels() == 0);
            assertThat(relay.logged("/websocket/", 101, "closed by shutdown")).isTrue();
            closer.join(20_000);
        } finally {
            relay.close();
            tower.shutdown();
        }
    }
}

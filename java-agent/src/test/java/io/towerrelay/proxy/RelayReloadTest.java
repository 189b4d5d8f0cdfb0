package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.common.UserError;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.RelayConfigLoader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reload that cannot be used changes nothing; one that can is what the relay then runs with. */
class RelayReloadTest {
    @TempDir
    Path dir;

    private static final String GOOD = """
            listen:
              address: 127.0.0.1:0
            admin:
              address: "off"
            upstream:
              url: http://127.0.0.1:9
            limits:
              max-connections: 100
            """;

    @Test
    void anInvalidFileOrFlagKeepsTheRunningConfigAndAValidOneReplacesIt() throws Exception {
        Path file = Files.writeString(dir.resolve("relay.yml"), GOOD);
        try (RelayServer relay = RelayServer.start(RelayConfigLoader.load(file), new PrintStream(OutputStream.nullOutputStream()))) {
            RelayConfig started = relay.config();

            Files.writeString(file, GOOD.replace("max-connections: 100", "max-connections: 0"));
            assertThat(relay.reload(file)).isEmpty();
            Files.writeString(file, GOOD + "websocket:\n  idle-timout: 1h\n");
            assertThat(relay.reload(file)).isEmpty();
            Files.delete(file);
            assertThat(relay.reload(file)).isEmpty();
            assertThat(relay.reload(() -> {
                throw new UserError("--upstream: \"ftp://x\" must start with http:// or https://");
            }, "the command line")).isEmpty();
            assertThat(relay.config()).isSameAs(started);
            assertThat(relay.metrics().configReloads(false)).isEqualTo(4);
            assertThat(relay.metrics().configReloads(true)).isZero();
            assertThat(relay.metrics().render(0)).contains("towerrelay_config_reloads_total{result=\"invalid\"} 4",
                    "towerrelay_config_reloads_total{result=\"ok\"} 0");

            Files.writeString(file, GOOD.replace("max-connections: 100", "max-connections: 200"));
            assertThat(relay.reload(file)).hasValueSatisfying(c -> assertThat(c.describe())
                    .isEqualTo("limits.max-connections 100->200"));
            assertThat(relay.config().limits().maxConnections()).isEqualTo(200);
            assertThat(relay.reload(file)).hasValueSatisfying(c -> assertThat(c.describe()).isEqualTo("no changes"));
            assertThat(relay.metrics().configReloads(true)).isEqualTo(2);
        }
    }

    @Test
    void aReloadedClientIdleTimeoutClosesNewIdleConnections() throws Exception {
        String slow = GOOD.replace("  max-connections: 100", "  max-connections: 100\n  header-timeout: 10m\n  client-idle-timeout: 10m");
        Path file = Files.writeString(dir.resolve("relay.yml"), slow);
        try (RelayServer relay = RelayServer.start(RelayConfigLoader.load(file), new PrintStream(OutputStream.nullOutputStream()))) {
            java.net.InetSocketAddress at = relay.listenAddress();
            try (java.net.Socket before = new java.net.Socket(at.getAddress(), at.getPort())) {
                // Accepted by the relay (not only by the kernel) before the reload.
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                        .until(() -> relay.metrics().activeConnections() == 1);
                Files.writeString(file, slow.replace("client-idle-timeout: 10m", "client-idle-timeout: 1s"));
                assertThat(relay.reload(file)).hasValueSatisfying(c -> assertThat(c.describe())
                        .isEqualTo("limits.client-idle-timeout 10m->1s"));
                try (java.net.Socket after = new java.net.Socket(at.getAddress(), at.getPort())) {
                    after.setSoTimeout(30_000);
                    assertThat(closedByRelay(after)).as("closed by the relay").isTrue();
                }
                // The connection opened before the reload keeps the timeout it was accepted with.
                before.setSoTimeout(500);
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> before.getInputStream().read()))
                        .isInstanceOf(java.net.SocketTimeoutException.class);
            }
        }
    }

    @Test
    void aReloadedResponseTimeoutHoldsOnAPooledConnectionOpenedBefore() throws Exception {
        // An upstream on one keep-alive connection: it answers the first request and never the second.
        java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
        try (java.net.ServerSocket tower = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Thread upstream = new Thread(() -> {
                while (!tower.isClosed()) {
                    try {
                        java.net.Socket connection = tower.accept();
                        connections.incrementAndGet();
                        java.io.InputStream in = connection.getInputStream();
                        io.towerrelay.testsupport.RawHttp.head(in);
                        connection.getOutputStream().write(io.towerrelay.testsupport.RawHttp.bytes(
                                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                        io.towerrelay.testsupport.RawHttp.head(in); // and then silence, connection open
                    } catch (java.io.IOException ex) {
                        return;
                    }
                }
            }, "silent-second-answer");
            upstream.setDaemon(true);
            upstream.start();
            String config = GOOD.replace("url: http://127.0.0.1:9", "url: http://127.0.0.1:" + tower.getLocalPort()
                    + "\n  response-timeout: 10m");
            Path file = Files.writeString(dir.resolve("relay.yml"), config);
            try (RelayServer relay = RelayServer.start(RelayConfigLoader.load(file), new PrintStream(OutputStream.nullOutputStream()));
                 java.net.Socket client = new java.net.Socket("127.0.0.1", relay.listenAddress().getPort())) {
                client.setSoTimeout(20_000);
                String get = "GET /api/v2/jobs/ HTTP/1.1\r\nHost: tower.example.test\r\n\r\n";
                io.towerrelay.testsupport.RawHttp.send(client, get);
                assertThat(io.towerrelay.testsupport.RawHttp.read(client.getInputStream()).status()).isEqualTo(200);

                Files.writeString(file, config.replace("response-timeout: 10m", "response-timeout: 1s"));
                assertThat(relay.reload(file)).hasValueSatisfying(c -> assertThat(c.describe())
                        .isEqualTo("upstream.response-timeout 10m->1s"));
                io.towerrelay.testsupport.RawHttp.send(client, get);
                assertThat(io.towerrelay.testsupport.RawHttp.read(client.getInputStream()).status())
                        .as("504 after the reloaded 1 s, not the 10 m the connection was opened with").isEqualTo(504);
                assertThat(connections.get()).as("both requests went over the one pooled connection").isEqualTo(1);
            }
        }
    }

    /** An idle timeout closes at once: the client sees the end of the stream, or a reset. */
    private static boolean closedByRelay(java.net.Socket socket) throws java.io.IOException {
        try {
            return socket.getInputStream().read() == -1;
        } catch (java.net.SocketException e) {
            return e.getMessage() != null && e.getMessage().contains("reset");
        }
    }

    @Test
    void reloadedTrustedProxiesDecideWhoMaySendAProxyHeader() throws Exception {
        String yaml = GOOD.replace("  address: 127.0.0.1:0", "  address: 127.0.0.1:0\n  proxy-protocol: true")
                + "forwarded:\n  trusted-proxies: [127.0.0.0/8]\n";
        Path file = Files.writeString(dir.resolve("relay.yml"), yaml);
        try (RelayServer relay = RelayServer.start(RelayConfigLoader.load(file), new PrintStream(OutputStream.nullOutputStream()))) {
            assertThat(answerThroughProxyHeader(relay)).startsWith("HTTP/1.1 502"); // nothing listens on :9
            Files.writeString(file, yaml.replace("127.0.0.0/8", "192.0.2.0/24"));
            assertThat(relay.reload(file)).hasValueSatisfying(c -> assertThat(c.describe())
                    .isEqualTo("forwarded.trusted-proxies [127.0.0.0/8]->[192.0.2.0/24]"));
            assertThat(answerThroughProxyHeader(relay)).as("refused: 127.0.0.1 is no longer trusted").isEmpty();
        }
    }

    /** What the relay answers a PROXY v1 header and a request from 127.0.0.1: the status line, or "" when closed. */
    private static String answerThroughProxyHeader(RelayServer relay) throws Exception {
        java.net.InetSocketAddress at = relay.listenAddress();
        try (java.net.Socket socket = new java.net.Socket(at.getAddress(), at.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("PROXY TCP4 192.0.2.7 127.0.0.1 5555 " + at.getPort() + "\r\n"
                    + "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII));
            String line = in.readLine();
            return line == null ? "" : line;
        } catch (java.net.SocketException e) {
            return ""; // refused: the reset can come before the connect or the write returns, or at the read
        }
    }
}

package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.LimitsConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Past limits.max-connections a new client gets a short 503 naming the limit and is closed; its request never
 * reaches Tower, the connections under the limit keep being served, and once they close new clients are served.
 */
class ConnectionLimitIT {
    private static final int LIMIT = 20;
    private static final int EXCESS = 200;
    private static final String PING = "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n";

    @TempDir
    Path dir;

    @Test
    void clientsPastTheLimitGet503AndTheRelayKeepsServing() throws Exception {
        try (SlowUpstream tower = new SlowUpstream(0);
                RelayServer relay = TestRelays.start(limited(TestRelays.config(URI.create("http://127.0.0.1:" + tower.port())), LIMIT))) {
            InetSocketAddress address = relay.listenAddress();
            List<RawConnection> held = new ArrayList<>();
            try {
                for (int i = 0; i < LIMIT; i++) {
                    held.add(servedKeepAlive(address, "/held-" + i));
                }
                assertThat(relay.metrics().activeConnections()).isEqualTo(LIMIT);

                // Over the limit: half send their request at once, half only read (a browser's preconnect).
                // Each reads one response and hangs up, as Connection: close tells it to.
                for (int i = 0; i < EXCESS; i++) {
                    try (RawConnection extra = new RawConnection(address)) {
                        if (i % 2 == 0) {
                            extra.write("GET /over-" + i + " HTTP/1.1\r\nHost: tower\r\n\r\n");
                        }
                        assertIsTheLimitAnswer(extra.readOneResponse(), LIMIT);
                    }
                }
                // A client that keeps its side open after the 503: the relay closes it (after a short linger).
                try (RawConnection stubborn = new RawConnection(address)) {
                    stubborn.write(PING);
                    RawConnection.Received r = stubborn.readUntilClosed(30_000);
                    assertThat(r.closedByRelay()).as("relay closed the refused connection").isTrue();
                    assertThat(r.statuses()).containsExactly(503);
                }
                // A client that keeps sending after it was refused is cut, and is not a problem either.
                try (RawConnection flood = new RawConnection(address)) {
                    assertIsTheLimitAnswer(flood.readOneResponse(), LIMIT);
                    assertThat(writeUntilRefused(flood, 16 << 20)).as("relay stopped taking bytes").isTrue();
                }
                // The held connections are still served, on the same keep-alive connections.
                for (int i = 0; i < LIMIT; i++) {
                    RawConnection c = held.get(i);
                    c.write("GET /again-" + i + " HTTP/1.1\r\nHost: tower\r\n\r\n");
                    assertThat(c.readOneResponse()).startsWith("HTTP/1.1 200").endsWith("done /again-" + i);
                }
            } finally {
                for (RawConnection c : held) {
                    c.close();
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.metrics().activeConnections() == 0);
            assertThat(relay.metrics().render(0)).contains("towerrelay_connections_rejected_total " + (EXCESS + 2));
            // No refused request reached Tower: it saw the held connections' two rounds only.
            assertThat(tower.requestsStarted()).isEqualTo(2 * LIMIT);

            // Rejected connections were never counted: a full set of LIMIT fits again, and the next one is refused.
            List<RawConnection> again = new ArrayList<>();
            try {
                for (int i = 0; i < LIMIT; i++) {
                    again.add(servedKeepAlive(address, "/after-" + i));
                }
                try (RawConnection extra = new RawConnection(address)) {
                    assertIsTheLimitAnswer(extra.write(PING).readOneResponse(), LIMIT);
                }
            } finally {
                for (RawConnection c : again) {
                    c.close();
                }
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.metrics().activeConnections() == 0);
            try (RawConnection after = new RawConnection(address)) {
                assertThat(after.write(PING).readOneResponse()).startsWith("HTTP/1.1 200");
            }
        }
    }

    /** On a TLS listener the limit is counted once the handshake is done; the 503 goes out encrypted. */
    @Test
    void tlsClientsPastTheLimitGet503OverTls() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        SSLContext client = certs.clientContext();
        int limit = 2;
        try (SlowUpstream tower = new SlowUpstream(0)) {
            RelayConfig base = limited(TestRelays.config(URI.create("http://127.0.0.1:" + tower.port())), limit);
            RelayConfig config = base.withListen(base.listen().withTls(new TlsFiles(certs.certPem, certs.keyPem)));
            try (RelayServer relay = TestRelays.start(config)) {
                InetSocketAddress address = relay.listenAddress();
                try (RawConnection a = RawConnection.tls(address, client); RawConnection b = RawConnection.tls(address, client)) {
                    assertThat(a.write(PING).readOneResponse()).startsWith("HTTP/1.1 200");
                    assertThat(b.write(PING).readOneResponse()).startsWith("HTTP/1.1 200");
                    for (int i = 0; i < 5; i++) {
                        try (RawConnection extra = RawConnection.tls(address, client)) {
                            assertIsTheLimitAnswer(extra.write(PING).readOneResponse(), limit);
                        }
                    }
                    try (RawConnection stubborn = RawConnection.tls(address, client)) {
                        RawConnection.Received r = stubborn.readUntilClosed(30_000);
                        assertThat(r.closedByRelay()).isTrue();
                        assertThat(r.statuses()).containsExactly(503);
                    }
                    assertThat(a.write(PING).readOneResponse()).startsWith("HTTP/1.1 200");
                    assertThat(b.write(PING).readOneResponse()).startsWith("HTTP/1.1 200");
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> relay.metrics().activeConnections() == 0);
                assertThat(relay.metrics().render(0)).contains("towerrelay_connections_rejected_total 6");
                assertThat(tower.requestsStarted()).isEqualTo(4);
                try (RawConnection after = RawConnection.tls(address, client)) {
                    assertThat(after.write(PING).readOneResponse()).startsWith("HTTP/1.1 200");
                }
            }
        }
    }

    private static RelayConfig limited(RelayConfig base, int maxConnections) {
        LimitsConfig limits = base.limits();
        return base.withLimits(new LimitsConfig(limits.maxRequestLineBytes(), limits.maxHeaderBytes(), maxConnections,
                Timeout.ofSeconds(60)));
    }

    private static RawConnection servedKeepAlive(InetSocketAddress address, String path) throws IOException {
        RawConnection c = new RawConnection(address);
        c.write("GET " + path + " HTTP/1.1\r\nHost: tower\r\n\r\n");
        assertThat(c.readOneResponse()).startsWith("HTTP/1.1 200").endsWith("done " + path);
        return c;
    }

    private static void assertIsTheLimitAnswer(String response, int limit) {
        assertThat(response).startsWith("HTTP/1.1 503 Service Unavailable\r\n");
        assertThat(response.toLowerCase(java.util.Locale.ROOT)).contains("\r\nconnection: close\r\n");
        assertThat(response).contains("limits.max-connections = " + limit + ")");
    }

    /** Writes up to {@code max} bytes; true when the relay refused them (reset or closed) before that. */
    private static boolean writeUntilRefused(RawConnection c, int max) {
        byte[] chunk = new byte[64 * 1024];
        try {
            for (int written = 0; written < max; written += chunk.length) {
                c.write(chunk);
            }
            return false;
        } catch (IOException refused) {
            return true;
        }
    }
}

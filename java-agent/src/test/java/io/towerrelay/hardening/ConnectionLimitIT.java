package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.LimitsConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

/** Past limits.max-connections new connections are closed at once; the relay survives and serves again after. */
class ConnectionLimitIT {
    private static final int LIMIT = 20;
    private static final int EXCESS = 200;

    @Test
    void connectionsPastTheLimitAreClosedAndTheRelayKeepsServing() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral())) {
            RelayConfig base = TestRelays.config(URI.create("http://" + tower.hostAndPort()));
            LimitsConfig limits = base.limits();
            RelayConfig config = base.withLimits(new LimitsConfig(limits.maxRequestLineBytes(), limits.maxHeaderBytes(),
                    LIMIT, Timeout.ofSeconds(60)));
            try (RelayServer relay = TestRelays.start(config)) {
                List<RawConnection> held = new ArrayList<>();
                try {
                    for (int i = 0; i < LIMIT; i++) {
                        RawConnection c = new RawConnection(relay.listenAddress());
                        c.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
                        assertThat(c.readOneResponse()).startsWith("HTTP/1.1 200");
                        held.add(c);
                    }
                    assertThat(relay.metrics().activeConnections()).isEqualTo(LIMIT);
                    int closedUnanswered = 0;
                    for (int i = 0; i < EXCESS; i++) {
                        try (RawConnection extra = new RawConnection(relay.listenAddress())) {
                            RawConnection.Received r = extra.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n")
                                    .readUntilClosed(10_000);
                            assertThat(r.closedByRelay()).isTrue();
                            assertThat(r.statuses()).allSatisfy(s -> assertThat(s).isEqualTo(503));
                            closedUnanswered++;
                        } catch (java.io.IOException writeAfterReset) {
                            closedUnanswered++; // closed before our request was even written
                        }
                    }
                    assertThat(closedUnanswered).isEqualTo(EXCESS);
                    // Connections under the limit are still served, on the same keep-alive connection.
                    for (RawConnection c : held) {
                        c.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
                        assertThat(c.readOneResponse()).startsWith("HTTP/1.1 200");
                    }
                } finally {
                    for (RawConnection c : held) {
                        c.close();
                    }
                }
                await().atMost(Duration.ofSeconds(20)).until(() -> relay.metrics().activeConnections() == 0);
                assertThat(relay.metrics().render(0)).contains("towerrelay_connections_rejected_total " + EXCESS);
                try (RawConnection after = new RawConnection(relay.listenAddress())) {
                    after.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
                    assertThat(after.readOneResponse()).startsWith("HTTP/1.1 200");
                }
            }
        }
    }
}

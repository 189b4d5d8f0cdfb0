package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

/**
 * Slowloris: clients that trickle their request head one byte every 200 ms (never silent long enough for the
 * idle timeout) are closed by limits.header-timeout, while a well-behaved client keeps being served.
 */
class SlowlorisIT {
    private static final int TRICKLERS = 20;

    @Test
    void tricklingHeadsAreClosedByTheHeaderTimeoutAndOthersAreServed() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral())) {
            RelayConfig base = TestRelays.config(URI.create("http://" + tower.hostAndPort()));
            RelayConfig config = base.withLimits(base.limits().withHeaderTimeout(Timeout.ofSeconds(2)));
            try (RelayServer relay = TestRelays.start(config)) {
                BystanderClient bystander = BystanderClient.start(relay.listenAddress());
                List<RawConnection> tricklers = new ArrayList<>();
                AtomicBoolean trickling = new AtomicBoolean(true);
                for (int i = 0; i < TRICKLERS; i++) {
                    tricklers.add(new RawConnection(relay.listenAddress()));
                }
                byte[] head = "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                        .getBytes(StandardCharsets.US_ASCII);
                List<Integer> bytesSentBeforeClose = new ArrayList<>();
                Thread writer = new Thread(() -> {
                    int[] sent = new int[TRICKLERS];
                    boolean[] cut = new boolean[TRICKLERS];
                    for (int step = 0; step < head.length && trickling.get(); step++) {
                        for (int i = 0; i < TRICKLERS; i++) {
                            if (!cut[i]) {
                                try {
                                    tricklers.get(i).write(new byte[] {head[step]});
                                    sent[i]++;
                                } catch (IOException closedByRelay) {
                                    cut[i] = true;
                                }
                            }
                        }
                        try {
                            Thread.sleep(200);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    synchronized (bytesSentBeforeClose) {
                        for (int s : sent) {
                            bytesSentBeforeClose.add(s);
                        }
                    }
                }, "trickler");
                writer.start();
                try {
                    for (RawConnection t : tricklers) {
                        RawConnection.Received r = t.readUntilClosed(15_000);
                        // Closed while still trickling (the whole head takes ~18 s), with no answer from Tower.
                        assertThat(r.closedByRelay()).isTrue();
                        assertThat(r.text()).doesNotContain("HTTP/1.1 200");
                    }
                } finally {
                    trickling.set(false);
                    writer.join(10_000);
                    for (RawConnection t : tricklers) {
                        t.close();
                    }
                }
                assertThat(bytesSentBeforeClose).allSatisfy(n -> assertThat(n).isLessThan(head.length));
                BystanderClient.Tally tally = bystander.stop();
                assertThat(tally.failures()).as("bystander: %s", tally.firstFailure()).isZero();
                assertThat(tally.ok()).isPositive();
            }
        }
    }
}

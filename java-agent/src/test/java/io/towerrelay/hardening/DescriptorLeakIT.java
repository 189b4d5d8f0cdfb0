package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.admin.UpstreamPoolStats;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import java.io.File;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Clients that vanish: 10,000 connect/disconnect cycles (silent, mid-head, request sent and never read, reset
 * mid-tunnel). Afterwards the process holds no more file descriptors than before, Tower sees no WebSocket left
 * open and the relay counts no connection or tunnel left. The relay runs in this JVM, so /proc/self/fd is its fds.
 */
class DescriptorLeakIT {
    private static final int HTTP_CYCLES = 10_000;
    private static final int TUNNEL_CYCLES = 300;
    /** The upstream pool, selector wake-ups and JIT threads may hold a few descriptors more than at the start. */
    private static final int SLACK = 24;

    @Test
    void vanishingClientsLeakNoDescriptorsOrUpstreamConnections() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral());
                RelayServer relay = TestRelays.start(TestRelays.config(URI.create("http://" + tower.hostAndPort())))) {
            String cookie = sessionCookie(relay);
            cycles(relay, 300, cookie, 30); // warm up: pool, threads, classes
            await().atMost(Duration.ofSeconds(30)).until(() -> quiet(relay, tower));
            int before = openDescriptors();

            cycles(relay, HTTP_CYCLES, cookie, TUNNEL_CYCLES);

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(leftOpen(relay, tower)).isEqualTo("none"));
            assertThat(relay.metrics().upstreamPool().available()).as("idle pooled upstream connections").isPositive();
            await().atMost(Duration.ofSeconds(60)).until(() -> openDescriptors() <= before + SLACK);
            System.out.printf("descriptor-leak: %d HTTP + %d tunnel cycles, fds before %d, after %d%n",
                    HTTP_CYCLES, TUNNEL_CYCLES, before, openDescriptors());
            // Still serving.
            try (RawConnection c = new RawConnection(relay.listenAddress())) {
                c.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
                assertThat(c.readOneResponse()).startsWith("HTTP/1.1 200");
            }
        }
    }

    /**
     * Clients that send a request and reset at once, from 8 threads, against a pool of 2 upstream connections:
     * most of them leave while their exchange waits for or is being handed a pooled connection. Every lease must
     * come back to the pool; a lost one (HttpAsyncRequester drops the entry when a lease is cancelled as it
     * completes) would soon leave both connections lost and every later request waiting forever.
     */
    @Test
    void clientsLeavingWhileAnUpstreamConnectionIsLeasedLoseNoPoolEntry() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral())) {
            URI upstream = URI.create("http://" + tower.hostAndPort());
            RelayConfig config = TestRelays.config(upstream);
            try (RelayServer relay = TestRelays.start(config.withUpstream(config.upstream().withPoolSize(2)))) {
                ExecutorService clients = Executors.newFixedThreadPool(8);
                try {
                    List<Future<?>> done = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        done.add(clients.submit(() -> {
                            for (int i = 0; i < 1_000; i++) {
                                try (Socket s = new Socket(relay.listenAddress().getAddress(), relay.listenAddress().getPort())) {
                                    s.getOutputStream().write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n".getBytes());
                                    s.setSoLinger(true, 0);
                                }
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : done) {
                        f.get();
                    }
                } finally {
                    clients.shutdownNow();
                }
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(leftOpen(relay, tower)).isEqualTo("none"));
                try (RawConnection c = new RawConnection(relay.listenAddress())) {
                    c.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
                    assertThat(c.readOneResponse()).startsWith("HTTP/1.1 200");
                }
            }
        }
    }

    private static boolean quiet(RelayServer relay, MockTower tower) {
        return leftOpen(relay, tower).equals("none");
    }

    /** What is still open or held, in words, so a failure says which count is stuck. */
    private static String leftOpen(RelayServer relay, MockTower tower) {
        long connections = relay.metrics().activeConnections();
        long tunnels = relay.metrics().activeTunnels();
        int sockets = tower.openWebSockets();
        UpstreamPoolStats pool = relay.metrics().upstreamPool();
        if (connections == 0 && tunnels == 0 && sockets == 0 && pool.leased() == 0 && pool.pending() == 0) {
            return "none";
        }
        return "fds " + openDescriptors() + ", relay connections " + connections + ", relay tunnels " + tunnels
                + ", Tower WebSockets " + sockets + ", upstream pool " + pool;
    }

    private static void cycles(RelayServer relay, int httpCycles, String cookie, int tunnelCycles) throws Exception {
        for (int i = 0; i < httpCycles; i++) {
            try (Socket s = new Socket(relay.listenAddress().getAddress(), relay.listenAddress().getPort())) {
                switch (i % 3) {
                    case 0 -> { } // connect, say nothing, go
                    case 1 -> s.getOutputStream().write("GET /api/v2/ping/ HTTP/1.1\r\nHo".getBytes());
                    default -> s.getOutputStream().write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n".getBytes());
                }
                if (i % 2 == 0) {
                    s.setSoLinger(true, 0); // half of them reset instead of closing politely
                }
            }
        }
        for (int i = 0; i < tunnelCycles; i++) {
            try (RawConnection ws = new RawConnection(relay.listenAddress())) {
                ws.write("GET /websocket/ HTTP/1.1\r\nHost: tower\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: " + cookie + "\r\n\r\n");
                assertThat(ws.readHead()).startsWith("HTTP/1.1 101");
                ws.resetOnClose();
            }
        }
    }

    private static String sessionCookie(RelayServer relay) throws Exception {
        try (RawConnection c = new RawConnection(relay.listenAddress())) {
            String page = c.write("GET / HTTP/1.1\r\nHost: tower\r\n\r\n").readOneResponse();
            Matcher m = Pattern.compile("(?i)set-cookie: (awx_sessionid=[^;\r\n]+)").matcher(page);
            assertThat(m.find()).as("session cookie in %s", page).isTrue();
            return m.group(1);
        }
    }

    private static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }
}

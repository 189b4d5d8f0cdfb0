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

    /**
     * limits.header-timeout on kept-alive connections: once a client that already had an answer starts its next
     * request, the head must be complete in time; a keep-alive connection that sends nothing, and a WebSocket tunnel
     * quiet for longer than the header timeout, are not affected.
     */
    @Test
    void nextHeadOnAKeptAliveConnectionHasTheHeaderTimeoutIdleConnectionsAndTunnelsDoNot() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral())) {
            RelayConfig base = TestRelays.config(URI.create("http://" + tower.hostAndPort()));
            RelayConfig config = base.withLimits(base.limits().withHeaderTimeout(Timeout.ofSeconds(2)));
            try (RelayServer relay = TestRelays.start(config);
                    RawConnection idle = new RawConnection(relay.listenAddress());
                    RawConnection slow = new RawConnection(relay.listenAddress())) {
                String ping = "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n";
                assertThat(idle.write(ping).readOneResponse()).startsWith("HTTP/1.1 200");
                assertThat(slow.write(ping).readOneResponse()).startsWith("HTTP/1.1 200");
                LiveSocket socket = LiveSocket.open(relay, tower);

                // The second request's head, one byte every 200 ms (about 14 s in all).
                byte[] next = "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII);
                int[] sent = {0};
                Thread trickler = new Thread(() -> {
                    try {
                        for (byte b : next) {
                            slow.write(new byte[] {b});
                            sent[0]++;
                            Thread.sleep(200);
                        }
                    } catch (IOException | InterruptedException closedByRelay) {
                        // expected
                    }
                }, "trickler");
                trickler.start();
                RawConnection.Received r = slow.readUntilClosed(15_000);
                trickler.join(20_000);
                assertThat(r.closedByRelay()).as("relay closed the connection trickling its second head").isTrue();
                assertThat(r.text()).as("no answer to the trickled head").isEmpty();
                assertThat(sent[0]).isLessThan(next.length);

                // Silent for longer than the header timeout (twice), still served; so is the quiet tunnel.
                for (int round = 0; round < 2; round++) {
                    Thread.sleep(3_000);
                    assertThat(idle.write(ping).readOneResponse()).as("idle keep-alive connection, round %d", round)
                            .startsWith("HTTP/1.1 200");
                    assertThat(socket.subscribe()).as("tunnel, round %d", round).contains("groups_current");
                }
                socket.close();
            }
        }
    }

    /** A live-events WebSocket through the relay, with the mock Tower's session cookies. */
    private static final class LiveSocket extends org.java_websocket.client.WebSocketClient {
        private final java.util.concurrent.BlockingQueue<String> messages = new java.util.concurrent.LinkedBlockingQueue<>();
        private final String csrf;

        private LiveSocket(URI uri, String cookies, String csrf) {
            super(uri, java.util.Map.of("Cookie", cookies));
            this.csrf = csrf;
            setConnectionLostTimeout(0);
        }

        static LiveSocket open(RelayServer relay, MockTower tower) throws Exception {
            String origin = "127.0.0.1:" + relay.listenAddress().getPort();
            java.net.http.HttpResponse<String> page = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(URI.create("http://" + origin + "/")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            List<String> cookies = page.headers().allValues("Set-Cookie").stream().map(c -> c.split(";", 2)[0]).toList();
            String csrf = cookies.stream().filter(c -> c.startsWith("csrftoken=")).findFirst().orElseThrow().substring(10);
            LiveSocket socket = new LiveSocket(URI.create("ws://" + origin + "/websocket/"), String.join("; ", cookies), csrf);
            assertThat(socket.connectBlocking(20, java.util.concurrent.TimeUnit.SECONDS)).as("WebSocket open").isTrue();
            assertThat(socket.messages.poll(20, java.util.concurrent.TimeUnit.SECONDS)).contains("accept");
            return socket;
        }

        /** Subscribes (again) and returns Tower's answer, or null when none came. */
        String subscribe() throws InterruptedException {
            send("{\"xrftoken\": \"" + csrf + "\", \"groups\": {\"jobs\": [\"status_changed\"]}}");
            for (String m; (m = messages.poll(20, java.util.concurrent.TimeUnit.SECONDS)) != null; ) {
                if (m.contains("groups_current")) {
                    return m;
                }
            }
            return null;
        }

        @Override
        public void onOpen(org.java_websocket.handshake.ServerHandshake handshake) {
        }

        @Override
        public void onMessage(String message) {
            messages.add(message);
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
        }

        @Override
        public void onError(Exception ex) {
        }
    }
}

package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.testsupport.JarProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The "done when": two mock Tower nodes as separate processes, the relay (the jar, as users run it) in
 * front, 32 clients doing GETs and 200 open WebSockets; {@code kill -9} one node. No GET fails; the WebSockets
 * that were on the dead node close and reconnect through the relay to the survivor; once the relay has marked the
 * node down it sends it no new request or handshake; restarted, the node rejoins and gets traffic again. The
 * figures (failed requests, time to mark down, reconnect times) are printed for docs/reliability.md.
 */
class NodeFailoverIT {
    private static final int GET_CLIENTS = 32;
    private static final int WEBSOCKETS = 200;
    private static final Duration START = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern MOCK_LISTENING = Pattern.compile("mock-tower listening on http://(\\S+?)/");
    private static final Pattern RELAY_LISTENING = Pattern.compile(
            "listening on http://(\\S+?), relaying to .*, admin on http://(\\S+)$");

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void killingANodeUnderLoadCostsNoRequestAndItsSocketsMoveToTheSurvivor(@TempDir Path dir) throws Exception {
        List<JarProcess> processes = new ArrayList<>();
        List<LiveSocket> sockets = new CopyOnWriteArrayList<>();
        AtomicBoolean loadRunning = new AtomicBoolean(true);
        List<Thread> load = new ArrayList<>();
        try {
            JarProcess a = mock("tower-a", "127.0.0.1:0", processes);
            JarProcess b = mock("tower-b", "127.0.0.1:0", processes);
            String nodeA = a.awaitStdout(MOCK_LISTENING.pattern(), START).group(1);
            String nodeB = b.awaitStdout(MOCK_LISTENING.pattern(), START).group(1);
            Path config = dir.resolve("relay.yml");
            Files.writeString(config, String.join("\n",
                    "listen:",
                    "  address: 127.0.0.1:0",
                    "admin:",
                    "  address: 127.0.0.1:0",
                    "access-log: off",
                    "upstream:",
                    "  nodes:",
                    "    - http://" + nodeA,
                    "    - http://" + nodeB,
                    "  health-check:",
                    "    interval: 2s",
                    "    timeout: 2s",
                    ""));
            JarProcess check = JarProcess.start("check-config", config.toString());
            processes.add(check);
            assertThat(check.waitFor(START)).isZero();
            assertThat(check.stdout()).contains("  node http://" + nodeA, "  node http://" + nodeB,
                    "  health check: GET /api/v2/ping/ every 2s, timeout 2s, down after 2 failure(s), up after 2 pass(es)");
            JarProcess relay = JarProcess.start("serve", "--config", config.toString());
            processes.add(relay);
            Matcher listening = relay.awaitStderr(RELAY_LISTENING.pattern(), START);
            URI base = URI.create("http://" + listening.group(1));
            URI admin = URI.create("http://" + listening.group(2));
            Metrics metrics = new Metrics(http, admin);
            waitFor(Duration.ofSeconds(30), () -> metrics.read().gauge("towerrelay_upstream_node_up", nodeA) == 1
                    && metrics.read().gauge("towerrelay_upstream_node_up", nodeB) == 1);

            // 200 live-events sockets, spread over both nodes by fewest open tunnels.
            String cookie = sessionCookie(base);
            for (int i = 0; i < WEBSOCKETS; i++) {
                sockets.add(new LiveSocket(base.resolve("/websocket/"), cookie));
            }
            for (LiveSocket socket : sockets) {
                socket.connectAndWait();
            }
            Metrics.Scrape spread = metrics.read();
            assertThat(spread.gauge("towerrelay_upstream_node_websocket_tunnels_active", nodeA)
                    + spread.gauge("towerrelay_upstream_node_websocket_tunnels_active", nodeB)).isEqualTo(WEBSOCKETS);
            assertThat(spread.gauge("towerrelay_upstream_node_websocket_tunnels_active", nodeB)).isEqualTo(WEBSOCKETS / 2);

            // 32 clients doing GETs without pause.
            AtomicLong ok = new AtomicLong();
            List<String> failures = new CopyOnWriteArrayList<>();
            Map<String, AtomicLong> answeredBy = new ConcurrentHashMap<>();
            for (int i = 0; i < GET_CLIENTS; i++) {
                Thread t = new Thread(() -> {
                    while (loadRunning.get()) {
                        try {
                            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/api/v2/ping/"))
                                    .timeout(Duration.ofSeconds(30)).build(), BodyHandlers.ofString());
                            if (r.statusCode() == 200) {
                                ok.incrementAndGet();
                                answeredBy.computeIfAbsent(JSON.readTree(r.body()).path("active_node").asText(),
                                        k -> new AtomicLong()).incrementAndGet();
                            } else {
                                failures.add(r.statusCode() + " " + r.body().trim());
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }, "get-load-" + i);
                t.setDaemon(true);
                t.start();
                load.add(t);
            }
            Thread.sleep(3000);
            assertThat(answeredBy.keySet()).containsExactlyInAnyOrder("tower-a", "tower-b");
            long beforeKill = ok.get();

            // kill -9 node b.
            long killedAt = System.nanoTime();
            java.time.Instant killedAtWall = java.time.Instant.now();
            b.close(); // destroyForcibly: SIGKILL
            assertThat(b.waitFor(Duration.ofSeconds(10))).isEqualTo(137);
            waitFor(Duration.ofSeconds(30), () -> metrics.read().gauge("towerrelay_upstream_node_up", nodeB) == 0);
            long markedDownMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            Thread.sleep(500);
            Metrics.Scrape atDown = metrics.read();

            // Every socket that was on b closed and came back, through the relay, on a.
            waitFor(Duration.ofSeconds(60), () -> sockets.stream().allMatch(LiveSocket::openNow));
            long reconnectedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            List<Long> reconnects = new ArrayList<>();
            for (LiveSocket socket : sockets) {
                reconnects.addAll(socket.reconnectMillis);
            }
            Collections.sort(reconnects);
            assertThat(reconnects).hasSize(WEBSOCKETS / 2);
            Metrics.Scrape afterMove = metrics.read();
            assertThat(afterMove.gauge("towerrelay_upstream_node_websocket_tunnels_active", nodeA)).isEqualTo(WEBSOCKETS);
            assertThat(afterMove.gauge("towerrelay_upstream_node_websocket_tunnels_active", nodeB)).isZero();

            Thread.sleep(3000);
            Metrics.Scrape stillDown = metrics.read();
            assertThat(stillDown.gauge("towerrelay_upstream_node_up", nodeB)).isZero();
            // Once marked down, b gets nothing new: no request, no handshake.
            assertThat(stillDown.gauge("towerrelay_upstream_node_requests_total", nodeB))
                    .isEqualTo(atDown.gauge("towerrelay_upstream_node_requests_total", nodeB));
            assertThat(stillDown.gauge("towerrelay_upstream_node_websocket_handshakes_total", nodeB))
                    .isEqualTo(atDown.gauge("towerrelay_upstream_node_websocket_handshakes_total", nodeB));
            long retriedAwayFromB = stillDown.gauge("towerrelay_upstream_node_retries_total", nodeB);

            // b comes back on its port and rejoins: GETs and new handshakes reach it again.
            long restartedAt = System.nanoTime();
            JarProcess back = mock("tower-b", nodeB, processes);
            back.awaitStdout(MOCK_LISTENING.pattern(), START);
            waitFor(Duration.ofSeconds(30), () -> metrics.read().gauge("towerrelay_upstream_node_up", nodeB) == 1);
            long rejoinedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt);
            long bAnswersBefore = answeredBy.get("tower-b").get();
            Thread.sleep(2000);
            assertThat(answeredBy.get("tower-b").get()).isGreaterThan(bAnswersBefore);
            for (int i = 0; i < 20; i++) {
                LiveSocket fresh = new LiveSocket(base.resolve("/websocket/"), cookie);
                sockets.add(fresh);
                fresh.connectAndWait();
            }
            assertThat(metrics.read().gauge("towerrelay_upstream_node_websocket_tunnels_active", nodeB)).isEqualTo(20);

            loadRunning.set(false);
            for (Thread t : load) {
                t.join(30_000);
            }
            assertThat(failures).as("failed GETs").isEmpty();
            assertThat(ok.get()).isGreaterThan(beforeKill);
            List<String> stateLines = relay.stderr().stream().filter(l -> l.contains("upstream node " + nodeB)).toList();
            assertThat(stateLines).anyMatch(l -> l.contains("up -> down")).anyMatch(l -> l.contains("down -> up"));
            String downLine = stateLines.stream().filter(l -> l.contains("up -> down")).findFirst().orElseThrow();
            long downLoggedMillis = Duration.between(killedAtWall, java.time.OffsetDateTime.parse(downLine.split(" ")[0],
                    java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ")).toInstant()).toMillis();
            System.out.printf("node failover: %d GETs by %d clients, %d failed; %d WebSockets, %d on the killed node; "
                            + "relay logged the killed node down %d ms after the kill (%s), /metrics showed it after %d ms; all sockets back after %d ms, reconnect times "
                            + "min %d / median %d / max %d ms; GETs retried away from the killed node: %d; rejoined %d ms "
                            + "after restart%n",
                    ok.get(), GET_CLIENTS, failures.size(), WEBSOCKETS, reconnects.size(), downLoggedMillis,
                    downLine.replaceAll("^\\S+ ", ""), markedDownMillis, reconnectedAfterMillis, reconnects.get(0),
                    reconnects.get(reconnects.size() / 2), reconnects.get(reconnects.size() - 1), retriedAwayFromB,
                    rejoinedMillis);
        } finally {
            loadRunning.set(false);
            for (JarProcess p : processes) {
                Files.write(Path.of("target", "node-failover-" + processes.indexOf(p) + ".log"), p.stderr());
            }
            for (LiveSocket socket : sockets) {
                socket.stop();
            }
            for (JarProcess p : processes) {
                p.close();
            }
        }
    }

    private static JarProcess mock(String name, String listen, List<JarProcess> processes) throws Exception {
        JarProcess p = JarProcess.start("mock-tower", "--listen", listen, "--node-name", name, "--ping-interval-s", "0");
        processes.add(p);
        return p;
    }

    private String sessionCookie(URI base) throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(base.resolve("/")).build(), BodyHandlers.ofString());
        return page.headers().allValues("set-cookie").stream().map(c -> c.split(";", 2)[0])
                .filter(c -> c.startsWith("awx_sessionid=")).findFirst().orElseThrow();
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Duration timeout, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    /** The relay's /metrics, read series by series. */
    static final class Metrics {
        private final HttpClient http;
        private final URI admin;

        Metrics(HttpClient http, URI admin) {
            this.http = http;
            this.admin = admin;
        }

        Scrape read() throws Exception {
            return new Scrape(http.send(HttpRequest.newBuilder(admin.resolve("/metrics")).build(), BodyHandlers.ofString()).body());
        }

        record Scrape(String text) {
            long gauge(String name, String node) {
                Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + "{node=\"" + node + "\"} ") + "(\\d+)$").matcher(text);
                if (!m.find()) {
                    throw new AssertionError("no " + name + " for " + node + " in\n" + text);
                }
                return Long.parseLong(m.group(1));
            }
        }
    }

    /**
     * A browser's live-events socket: opens through the relay with the session cookie, and when the connection
     * closes under it, opens a new one at once, as the Tower UI does; records how long each reconnect took.
     */
    static final class LiveSocket {
        private final URI uri;
        private final String cookie;
        private volatile Client current;
        private volatile boolean stopped;
        final List<Long> reconnectMillis = new CopyOnWriteArrayList<>();

        LiveSocket(URI uri, String cookie) {
            this.uri = URI.create(uri.toString().replaceFirst("^http", "ws"));
            this.cookie = cookie;
        }

        void connectAndWait() throws InterruptedException {
            Client client = new Client(this, 0);
            current = client;
            if (!client.connectBlocking(20, TimeUnit.SECONDS) || !client.accepted.await(20, TimeUnit.SECONDS)) {
                throw new AssertionError("WebSocket through the relay did not open");
            }
        }

        boolean openNow() {
            Client c = current;
            return c != null && c.isOpen() && c.accepted.getCount() == 0;
        }

        void stop() {
            stopped = true;
            Client c = current;
            if (c != null) {
                c.close();
            }
        }

        private static final class Client extends WebSocketClient {
            final CountDownLatch accepted = new CountDownLatch(1);
            private final LiveSocket owner;
            /** When the socket this one replaces was lost; 0 for the first. */
            private final long lostAt;

            Client(LiveSocket owner, long lostAt) {
                super(owner.uri, Map.of("Cookie", owner.cookie, "Origin", "http://" + owner.uri.getAuthority()));
                this.owner = owner;
                this.lostAt = lostAt;
                setConnectionLostTimeout(0);
            }

            @Override
            public void onOpen(ServerHandshake handshake) {
            }

            @Override
            public void onMessage(String message) {
                if (accepted.getCount() > 0 && message.contains("\"accept\"")) {
                    accepted.countDown();
                    if (lostAt != 0) {
                        owner.reconnectMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lostAt));
                    }
                }
            }

            @Override
            public void onClose(int code, String reason, boolean remote) {
                if (!owner.stopped && owner.current == this) {
                    long lost = lostAt != 0 && accepted.getCount() > 0 ? lostAt : System.nanoTime();
                    Client next = new Client(owner, lost);
                    owner.current = next;
                    next.connect(); // a refused handshake closes too, and so tries again
                }
            }

            @Override
            public void onError(Exception ex) {
            }
        }
    }
}

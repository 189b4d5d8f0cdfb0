package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.admin.UpstreamNodeStatus;
import io.towerrelay.config.ConfigChanges;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.RelayConfigLoader;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.testsupport.JarProcess;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full config reload (SIGHUP): 500 live-events sockets open through the relay while ten reloads add, drain and
 * remove Tower nodes and change limits, timeouts, blocked paths and the access log. No socket is cut, every job
 * event arrives in order on every socket, and afterwards new requests and handshakes follow the new config. An
 * invalid file changes nothing. Then the same through the jar and a real {@code kill -HUP}.
 */
class ConfigReloadIT {
    private static final int SOCKETS = 500;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    /** The open sockets: after each reload every one of them must get its next event. */
    private List<EventSocket> watched = List.of();
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor)
            .connectTimeout(Duration.ofSeconds(20)).build();

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        executor.shutdownNow();
    }

    private MockTower node(String name) throws Exception {
        MockTower tower = MockTower.start(MockTowerOptions.ephemeral().withNodeName(name)
                .withEventInterval(Duration.ofMillis(250)).withPingInterval(Duration.ZERO));
        open.add(tower);
        return tower;
    }

    /** The config file for these nodes ({@code "-"} before a name: drain) with the other settings given. */
    private static String yaml(List<String> nodes, int maxConnections, String extra) {
        StringBuilder out = new StringBuilder("""
                listen:
                  address: 127.0.0.1:0
                admin:
                  address: 127.0.0.1:0
                shutdown-grace: 2s
                upstream:
                  health-check:
                    interval: 200ms
                    timeout: 2s
                  nodes:
                """);
        for (String node : nodes) {
            boolean drain = node.startsWith("-");
            out.append("    - url: http://").append(drain ? node.substring(1) : node).append('\n');
            if (drain) {
                out.append("      drain: true\n");
            }
        }
        out.append("limits:\n  max-connections: ").append(maxConnections).append('\n');
        return out.append(extra).toString();
    }

    private Path write(String yaml) throws Exception {
        return Files.writeString(dir.resolve("relay.yml"), yaml);
    }

    @Test
    void fiveHundredTunnelsSurviveTenReloadsAndNewTrafficFollowsTheNewConfig() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        MockTower c = node("tower-c");
        MockTower d = node("tower-d");
        String na = a.hostAndPort();
        String nb = b.hostAndPort();
        String nc = c.hostAndPort();
        String nd = d.hostAndPort();
        Path file = write(yaml(List.of(na, nb), 2000, "access-log: \"off\"\n"));
        RelayServer relay = RelayServer.start(RelayConfigLoader.load(file), new PrintStream(OutputStream.nullOutputStream()));
        open.add(relay);
        URI base = URI.create("http://127.0.0.1:" + relay.listenAddress().getPort());

        // One browser session (any node accepts it); 500 sockets subscribed to job 1's events.
        Session session = login(base);
        List<EventSocket> sockets = new ArrayList<>();
        for (int batch = 0; batch < SOCKETS; batch += 100) {
            List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
            for (int i = batch; i < batch + 100; i++) {
                EventSocket socket = new EventSocket(i, session.subscription());
                sockets.add(socket);
                opening.add(socket.open(http, base, "/websocket/", session.cookie()));
            }
            CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
        open.add(() -> sockets.forEach(EventSocket::abort));
        awaitEvents(sockets, 1);
        watched = sockets;
        assertThat(a.openWebSockets() + b.openWebSockets()).isEqualTo(SOCKETS);
        assertThat(a.openWebSockets()).as("tunnels on a").isPositive();
        assertThat(b.openWebSockets()).as("tunnels on b").isPositive();

        // 1: a node is added; it is health-checked.
        reload(relay, file, yaml(List.of(na, nb, nc), 2000, "access-log: \"off\"\n"), "upstream.nodes +http://" + nc);
        await().atMost(WAIT).until(() -> status(relay, nc).map(s -> s.lastCheck() != null && s.lastCheck().passed())
                .orElse(false));
        // 2: a is drained: new requests go elsewhere.
        reload(relay, file, yaml(List.of("-" + na, nb, nc), 2000, "access-log: \"off\"\n"), "upstream.nodes http://" + na + " drain");
        assertThat(answeringNodes(base, 12)).isSubsetOf("tower-b", "tower-c");
        // 3: a limit.
        reload(relay, file, yaml(List.of("-" + na, nb, nc), 1500, "access-log: \"off\"\n"), "limits.max-connections 2000->1500");
        // 4: b is removed while it has open tunnels.
        reload(relay, file, yaml(List.of("-" + na, nc), 1500, "access-log: \"off\"\n"), "upstream.nodes -http://" + nb);
        // 5: d is added.
        reload(relay, file, yaml(List.of("-" + na, nc, nd), 1500, "access-log: \"off\"\n"), "upstream.nodes +http://" + nd);
        // 6: a blocked WebSocket path.
        String blocked = "access-log: \"off\"\nwebsocket:\n  blocked-paths: [/websocket/relay/, /api/websocket/]\n";
        reload(relay, file, yaml(List.of("-" + na, nc, nd), 1500, blocked),
                "websocket.blocked-paths [/websocket/broadcast/,/websocket/relay/]->[/api/websocket/,/websocket/relay/]");
        // 7: the drained node a is removed while it has open tunnels.
        reload(relay, file, yaml(List.of(nc, nd), 1500, blocked), "upstream.nodes -http://" + na);
        // 8: timeouts.
        String timeouts = blocked + "  idle-timeout: 2h\n";
        reload(relay, file, yaml(List.of(nc, nd), 1500, timeouts), "websocket.idle-timeout 1h->2h");
        // 9: the access log.
        String json = timeouts.replace("access-log: \"off\"", "access-log: json");
        reload(relay, file, yaml(List.of(nc, nd), 1500, json), "access-log off->json");

        // An invalid file: refused, nothing changes.
        RelayConfig before = relay.config();
        write(yaml(List.of(nc, nd), 1500, json).replace("max-connections: 1500", "max-connections: lots"));
        assertThat(relay.reload(file)).isEmpty();
        assertThat(relay.config()).isEqualTo(before);
        assertThat(relay.metrics().configReloads(false)).isEqualTo(1);

        // Every socket is still open and its events keep coming, in order, including the removed nodes' sockets.
        awaitEvents(sockets, 3);
        assertThat(a.openWebSockets() + b.openWebSockets()).isEqualTo(SOCKETS);
        // New requests and handshakes go only to c and d; the old blocked path list is still the one in force.
        assertThat(answeringNodes(base, 20)).containsExactlyInAnyOrder("tower-c", "tower-d");
        List<EventSocket> late = new ArrayList<>();
        List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            EventSocket socket = new EventSocket(SOCKETS + i, session.subscription());
            late.add(socket);
            opening.add(socket.open(http, base, "/websocket/", session.cookie()));
        }
        CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        open.add(() -> late.forEach(EventSocket::abort));
        await().atMost(WAIT).until(() -> c.openWebSockets() + d.openWebSockets() == 10);
        assertThat(a.openWebSockets() + b.openWebSockets()).isEqualTo(SOCKETS);
        assertThat(handshakeStatus(base, "/api/websocket/", session.cookie())).isEqualTo(403);
        assertThat(relay.metrics().upstreamNodes()).extracting(UpstreamNodeStatus::node).containsExactly(nc, nd);
        // Health checks go on for c and stopped for the removed a and b: nothing new reaches them meanwhile.
        List<io.towerrelay.mock.HttpRequest> seenByA = a.receivedRequests();
        List<io.towerrelay.mock.HttpRequest> seenByB = b.receivedRequests();
        long checksOfC = healthChecks(c);
        await().atMost(WAIT).until(() -> healthChecks(c) >= checksOfC + 3);
        assertThat(a.receivedRequests()).isEqualTo(seenByA);
        assertThat(b.receivedRequests()).isEqualTo(seenByB);

        // 10: max-connections below what is open: new connections are answered 503, open sockets go on.
        reload(relay, file, yaml(List.of(nc, nd), 1, json), "limits.max-connections 1500->1");
        HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor).build();
        HttpResponse<String> refused = fresh.send(HttpRequest.newBuilder(base.resolve("/api/v2/ping/"))
                .timeout(Duration.ofSeconds(30)).build(), BodyHandlers.ofString());
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.body()).contains("limits.max-connections = 1");
        awaitEvents(sockets, 2);
        assertThat(relay.metrics().configReloads(true)).isEqualTo(10);
        assertThat(sockets).allSatisfy(s -> assertThat(s.error).as("socket %d", s.id).isNull());
    }

    @Test
    void sighupToTheJarReloadsTheFileWarnsAboutRestartKeysAndKeepsServingOnAnInvalidFile() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        String head = "listen:\n  address: 127.0.0.1:0\nadmin:\n  address: \"off\"\n";
        Path file = write(head + "upstream:\n  url: http://" + a.hostAndPort() + "\n");
        try (JarProcess relay = JarProcess.start("serve", "--config", file.toString())) {
            Matcher listening = relay.awaitStderr("listening on http://127\\.0\\.0\\.1:(\\d+)", WAIT);
            URI base = URI.create("http://127.0.0.1:" + listening.group(1));
            assertThat(answeringNodes(base, 3)).containsExactly("tower-a");

            write(head + "upstream:\n  nodes:\n    - http://" + b.hostAndPort() + "\n");
            hup(relay);
            relay.awaitStderr("INFO .*config reloaded from " + Pattern.quote(file.toString()) + ": upstream.nodes "
                    + Pattern.quote("+http://" + b.hostAndPort() + " -http://" + a.hostAndPort()) + "$", WAIT);
            assertThat(answeringNodes(base, 3)).containsExactly("tower-b");

            write(head + "upstream:\n  nodes:\n    - http://" + b.hostAndPort() + "\nlimits:\n  max-connections: 0\n");
            hup(relay);
            relay.awaitStderr("WARN .*config NOT reloaded from " + Pattern.quote(file.toString())
                    + ", still running the previous one: " + Pattern.quote(file + ":") + "\\d+: limits.max-connections: ", WAIT);
            assertThat(answeringNodes(base, 3)).containsExactly("tower-b");

            write(head.replace("127.0.0.1:0", "127.0.0.1:1") + "upstream:\n  nodes:\n    - http://" + b.hostAndPort()
                    + "\nlimits:\n  max-connections: 5000\n");
            hup(relay);
            relay.awaitStderr("WARN .*listen.address changed \\(127.0.0.1:0->127.0.0.1:1\\): takes effect after a restart", WAIT);
            relay.awaitStderr("INFO .*config reloaded from .*: limits.max-connections 10000->5000$", WAIT);
            assertThat(answeringNodes(base, 3)).containsExactly("tower-b");
            assertThat(relay.terminate(WAIT)).isZero();
        }
    }

    private void reload(RelayServer relay, Path file, String yaml, String expected) throws Exception {
        Files.writeString(file, yaml);
        Optional<ConfigChanges> changes = relay.reload(file);
        assertThat(changes).as("reload of\n%s", yaml).isPresent();
        assertThat(changes.get().describe()).isEqualTo(expected);
        assertThat(changes.get().needRestart()).isEmpty();
        awaitEvents(watched, 1);
    }

    private static long healthChecks(MockTower tower) {
        return tower.receivedRequests().stream()
                .filter(r -> r.header("User-Agent").orElse("").equals("tower-relay-health-check")).count();
    }

    private static Optional<UpstreamNodeStatus> status(RelayServer relay, String node) {
        return relay.metrics().upstreamNodes().stream().filter(s -> s.node().equals(node)).findFirst();
    }

    /** Waits until every socket got {@code more} events after now, all in order. */
    private static void awaitEvents(List<EventSocket> sockets, int more) {
        List<Integer> start = sockets.stream().map(s -> s.events.get()).toList();
        try {
            await().atMost(WAIT).until(() -> {
                for (int i = 0; i < sockets.size(); i++) {
                    EventSocket s = sockets.get(i);
                    if (s.error != null || s.events.get() < start.get(i) + more) {
                        return s.error != null;
                    }
                }
                return true;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("sockets short of events (id:events): " + sockets.stream()
                    .filter(s -> s.events.get() < start.get(s.id) + more).limit(20).map(s -> s.id + ":" + s.events.get())
                    .collect(Collectors.joining(", ")), e);
        }
        assertThat(sockets).allSatisfy(s -> assertThat(s.error).as("socket %d", s.id).isNull());
    }

    /** The {@code active_node} of {@code count} pings, each on a connection of its own. */
    private Set<String> answeringNodes(URI base, int count) throws Exception {
        Set<String> nodes = new HashSet<>();
        for (int i = 0; i < count; i++) {
            HttpResponse<String> ping = http.send(HttpRequest.newBuilder(base.resolve("/api/v2/ping/"))
                    .timeout(Duration.ofSeconds(30)).build(), BodyHandlers.ofString());
            assertThat(ping.statusCode()).as(ping.body()).isEqualTo(200);
            nodes.add(JSON.readTree(ping.body()).path("active_node").asText());
        }
        return nodes;
    }

    private int handshakeStatus(URI base, String path, String cookie) {
        CompletableFuture<WebSocket> attempt = new EventSocket(-1, "{}").open(http, base, path, cookie);
        assertThatThrownBy(() -> attempt.join()).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(WebSocketHandshakeException.class);
        return ((WebSocketHandshakeException) attempt.handle((ws, e) -> e.getCause()).join()).getResponse().statusCode();
    }

    private record Session(String cookie, String csrf) {
        String subscription() {
            return "{\"xrftoken\":\"" + csrf + "\",\"groups\":{\"jobs\":[\"status_changed\",\"summary\"],"
                    + "\"job_events\":[\"1\"]}}";
        }
    }

    /** The page's cookies, as the Tower UI gets them before it opens its socket. */
    private Session login(URI base) throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(base.resolve("/")).build(), BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        List<String> cookies = page.headers().allValues("set-cookie").stream().map(c -> c.split(";", 2)[0]).toList();
        String csrf = cookies.stream().filter(c -> c.startsWith("csrftoken=")).findFirst().orElseThrow()
                .substring("csrftoken=".length());
        return new Session(String.join("; ", cookies), csrf);
    }

    private static void hup(JarProcess relay) throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(relay.pid())).inheritIO().start();
        assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    /** A live-events socket: subscribes after the accept, then checks each job event's counter is the next one. */
    private static final class EventSocket implements WebSocket.Listener {
        private static final Pattern COUNTER = Pattern.compile("\"counter\":(\\d+)");
        final int id;
        private final String subscription;
        final AtomicInteger events = new AtomicInteger();
        volatile String error;
        private volatile WebSocket socket;
        private long lastCounter;
        private final StringBuilder partial = new StringBuilder();

        EventSocket(int id, String subscription) {
            this.id = id;
            this.subscription = subscription;
        }

        CompletableFuture<WebSocket> open(HttpClient http, URI base, String path, String cookie) {
            return http.newWebSocketBuilder().header("Cookie", cookie).connectTimeout(Duration.ofSeconds(30))
                    .buildAsync(URI.create("ws://" + base.getAuthority() + path), this);
        }

        void abort() {
            WebSocket s = socket;
            if (s != null) {
                s.abort();
            }
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String message = partial.toString();
                partial.setLength(0);
                if (message.contains("\"accept\":true")) {
                    webSocket.sendText(subscription, true);
                } else if (message.contains("\"group_name\":\"job_events\"")) {
                    Matcher m = COUNTER.matcher(message);
                    long counter = m.find() ? Long.parseLong(m.group(1)) : -1;
                    if (lastCounter != 0 && counter != lastCounter + 1) {
                        error = "event " + counter + " after " + lastCounter;
                    }
                    lastCounter = counter;
                    events.incrementAndGet();
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (error == null) {
                error = "closed: " + statusCode + " " + reason;
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable cause) {
            if (error == null) {
                error = "error: " + cause;
            }
        }
    }
}

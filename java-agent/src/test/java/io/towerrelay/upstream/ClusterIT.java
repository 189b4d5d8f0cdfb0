package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.config.HealthCheckConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.UpstreamNode;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two in-process mock Tower nodes behind one in-process relay: balancing, drain, health state changes (active and
 * passive), the all-nodes-down answer, and what /healthz and /metrics show. The mock names itself in
 * {@code active_node}, so each answer says which node it came from.
 */
class ClusterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Fast checks, so state changes take a second or two rather than ten. */
    private static final HealthCheckConfig FAST = new HealthCheckConfig("/api/v2/ping/", Timeout.ofMilliseconds(200),
            Timeout.ofSeconds(2), 2, 2);

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final List<AutoCloseable> open = new ArrayList<>();
    private RelayServer relay;
    private final ByteArrayOutputStream accessLog = new ByteArrayOutputStream();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close(); // client sockets first: open tunnels would hold the relay's graceful shutdown
        }
        if (relay != null) {
            relay.close();
        }
    }

    private MockTower node(String name) throws IOException {
        return node(name, 0);
    }

    private MockTower node(String name, int port) throws IOException {
        MockTower tower = MockTower.start(MockTowerOptions.ephemeral().withNodeName(name)
                .withListen(new InetSocketAddress("127.0.0.1", port)));
        open.add(tower);
        return tower;
    }

    private static UpstreamNode at(MockTower tower, boolean drain) {
        return new UpstreamNode(URI.create("http://" + tower.hostAndPort()), drain);
    }

    private void startRelay(HealthCheckConfig check, UpstreamNode... nodes) throws IOException {
        RelayConfig config = RelayConfig.defaults()
                .withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withAdmin(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withShutdownGrace(Timeout.ofSeconds(2)).withAccessLog(io.towerrelay.config.AccessLogFormat.JSON);
        config = config.withUpstream(config.upstream().withNodes(List.of(nodes)).withHealthCheck(check));
        relay = RelayServer.start(config, new PrintStream(accessLog, true, StandardCharsets.UTF_8));
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + path))
                .timeout(Duration.ofSeconds(30)).build(), BodyHandlers.ofString());
    }

    private String activeNode() throws Exception {
        HttpResponse<String> ping = get("/api/v2/ping/");
        assertThat(ping.statusCode()).as(ping.body()).isEqualTo(200);
        return JSON.readTree(ping.body()).path("active_node").asText();
    }

    private Map<String, Integer> answersFrom(int requests) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            counts.merge(activeNode(), 1, Integer::sum);
        }
        return counts;
    }

    private HttpResponse<String> admin(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.adminAddress().getPort() + path))
                .build(), BodyHandlers.ofString());
    }

    private JsonNode healthOf(MockTower tower) throws Exception {
        for (JsonNode node : JSON.readTree(admin("/healthz").body()).path("nodes")) {
            if (node.path("node").asText().equals(tower.hostAndPort())) {
                return node;
            }
        }
        throw new AssertionError("node " + tower.hostAndPort() + " not in /healthz: " + admin("/healthz").body());
    }

    @Test
    void requestsSpreadOverBothNodesAndHealthzListsThem() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        startRelay(FAST, at(a, false), at(b, false));
        Map<String, Integer> counts = answersFrom(40);
        assertThat(counts.keySet()).containsExactlyInAnyOrder("tower-a", "tower-b");
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(10));

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(healthOf(a).path("last_check").path("passed").asBoolean()).isTrue());
        HttpResponse<String> health = admin("/healthz");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode nodeA = healthOf(a);
        assertThat(nodeA.path("state").asText()).isEqualTo("up");
        assertThat(nodeA.path("url").asText()).isEqualTo("http://" + a.hostAndPort());
        assertThat(nodeA.path("last_check").path("detail").asText()).isEqualTo("GET /api/v2/ping/ answered 200");
        String metrics = admin("/metrics").body();
        assertThat(metrics).contains("towerrelay_upstream_node_up{node=\"" + a.hostAndPort() + "\"} 1",
                "towerrelay_upstream_node_up{node=\"" + b.hostAndPort() + "\"} 1");
        assertThat(metrics).containsPattern("towerrelay_upstream_node_requests_total\\{node=\"" + a.hostAndPort() + "\"} [1-9]");
        // The echo names the node too, and the access log says where each request went.
        assertThat(JSON.readTree(get("/api/v2/mock/echo/").body()).path("active_node").asText()).isIn("tower-a", "tower-b");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(accessLog.toString(StandardCharsets.UTF_8))
                .contains("\"upstream\":\"" + a.hostAndPort() + "\"", "\"upstream\":\"" + b.hostAndPort() + "\""));
    }

    @Test
    void aDrainingNodeGetsNoNewRequestsOrTunnels() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        startRelay(FAST, at(a, false), at(b, true));
        assertThat(answersFrom(30)).containsOnlyKeys("tower-a");
        openWebSockets(6);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(a.openWebSockets()).isEqualTo(6));
        assertThat(b.openWebSockets()).isZero();
        JsonNode drained = healthOf(b);
        assertThat(drained.path("state").asText()).isEqualTo("draining");
        assertThat(drained.path("draining").asBoolean()).isTrue();
        assertThat(healthOf(a).path("websocket_tunnels").asInt()).isEqualTo(6);
        assertThat(accessLog.toString(StandardCharsets.UTF_8)).doesNotContain("\"upstream\":\"" + b.hostAndPort() + "\"");
        assertThat(admin("/metrics").body()).contains("towerrelay_upstream_node_draining{node=\"" + b.hostAndPort() + "\"} 1",
                "towerrelay_upstream_node_websocket_tunnels_active{node=\"" + a.hostAndPort() + "\"} 6");
    }

    @Test
    void tunnelsGoToTheNodeWithTheFewest() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        startRelay(FAST, at(a, false), at(b, false));
        openWebSockets(10);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(a.openWebSockets()).isEqualTo(5);
            assertThat(b.openWebSockets()).isEqualTo(5);
        });
    }

    @Test
    void aStoppedNodeIsMarkedDownByTheChecksAndRejoinsWhenBack() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        int bPort = b.address().getPort();
        startRelay(FAST, at(a, false), at(b, false));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(healthOf(b).path("last_check").path("passed").asBoolean()).isTrue());

        b.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(healthOf(b).path("state").asText()).isEqualTo("down"));
        JsonNode down = healthOf(b);
        assertThat(down.path("last_check").path("passed").asBoolean()).isFalse();
        assertThat(down.path("reason").asText()).contains("connection refused");
        assertThat(admin("/healthz").statusCode()).isEqualTo(200); // one node still up
        assertThat(admin("/metrics").body()).contains("towerrelay_upstream_node_up{node=\"" + b.hostAndPort() + "\"} 0");
        assertThat(answersFrom(20)).containsOnlyKeys("tower-a");

        MockTower back = node("tower-b", bPort);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(healthOf(back).path("state").asText()).isEqualTo("up"));
        // "2 health check(s) passed in a row" at the change, "health check passed" once a later check passed.
        assertThat(healthOf(back).path("reason").asText()).contains("passed");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(answersFrom(20)).containsKey("tower-b"));
    }

    @Test
    void aRefusedConnectionMarksTheNodeDownAtOnceAndTheRequestGoesToTheOther() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        // Checks an hour apart: only real traffic can notice that b is gone.
        startRelay(new HealthCheckConfig("/api/v2/ping/", Timeout.ofHours(1), Timeout.ofSeconds(2), 2, 2),
                at(a, false), at(b, false));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(healthOf(b).path("last_check").isObject()).isTrue());
        b.close();
        assertThat(answersFrom(20)).containsOnlyKeys("tower-a"); // every request answered, none by b
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(accessLog.toString(StandardCharsets.UTF_8))
                .contains("\"upstream\":\"" + a.hostAndPort() + "\",\"retries\":1"));
        JsonNode down = healthOf(b);
        assertThat(down.path("state").asText()).isEqualTo("down");
        assertThat(down.path("reason").asText()).isEqualTo("upstream " + b.hostAndPort() + " refused the connection");
        assertThat(admin("/metrics").body()).containsPattern(
                "towerrelay_upstream_node_retries_total\\{node=\"" + b.hostAndPort() + "\"} [1-9]");
    }

    @Test
    void whenEveryNodeIsDownTheClientIsToldSo() throws Exception {
        MockTower a = node("tower-a");
        MockTower b = node("tower-b");
        startRelay(FAST, at(a, false), at(b, false));
        a.close();
        b.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(admin("/healthz").statusCode()).isEqualTo(503));
        JsonNode health = JSON.readTree(admin("/healthz").body());
        assertThat(health.path("status").asText()).isEqualTo("upstream_unreachable");
        assertThat(health.path("upstream").path("reachable").asBoolean()).isFalse();

        HttpResponse<String> answer = get("/api/v2/jobs/");
        assertThat(answer.statusCode()).isEqualTo(502);
        assertThat(answer.body()).startsWith("502 Bad Gateway: every upstream node is down or draining: ")
                .contains(a.hostAndPort() + " down", b.hostAndPort() + " down", "connection refused");

        try (Socket socket = new Socket("127.0.0.1", relay.listenAddress().getPort())) {
            socket.setSoTimeout(20_000);
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
            RawHttp.Response refused = RawHttp.read(socket.getInputStream());
            assertThat(refused.status()).isEqualTo(502);
            assertThat(refused.body()).contains("every upstream node is down or draining");
        }
    }

    /** A session cookie from the page, as a browser gets it (any node's session is good on every node). */
    private String sessionCookie() throws Exception {
        HttpResponse<String> page = get("/");
        return page.headers().allValues("set-cookie").stream().map(c -> c.split(";", 2)[0])
                .filter(c -> c.startsWith("awx_sessionid=")).findFirst().orElseThrow();
    }

    /** WebSocket handshakes through the relay, one after the other, each answered 101; closed after the test. */
    private void openWebSockets(int count) throws Exception {
        String cookie = sessionCookie();
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket("127.0.0.1", relay.listenAddress().getPort());
            open.add(socket);
            socket.setSoTimeout(20_000);
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket", "Cookie: " + cookie));
            assertThat(RawHttp.head(socket.getInputStream())).startsWith("HTTP/1.1 101");
        }
    }
}

package io.towerrelay.tunnel;

import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import java.net.CookieManager;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the product exists for: Tower's live job output through the relay. The browser's steps against the
 * mock Tower: load the page (cookies), open the WebSocket with them, subscribe with the CSRF token, and
 * receive job events in order, on both of AWX's WebSocket paths.
 */
class TowerLiveEventsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static MockTower tower;
    private static TestRelay relay;

    @BeforeAll
    static void start() throws Exception {
        tower = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofMillis(20)));
        relay = new TestRelay(TestRelay.config(URI.create("http://" + tower.hostAndPort())));
    }

    @AfterAll
    static void stop() {
        relay.close();
        tower.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/websocket/", "/api/websocket/"})
    void jobEventsArriveInOrderThroughTheRelay(String path) throws Exception {
        CookieManager cookies = new CookieManager();
        HttpClient browser = HttpClient.newBuilder().cookieHandler(cookies).build();
        HttpResponse<String> page = browser.send(HttpRequest.newBuilder(relay.uri("http", "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        String session = cookie(cookies, "awx_sessionid");
        String csrf = cookie(cookies, "csrftoken");

        TestClient socket = new TestClient(relay.uri("ws", path),
                Map.of("Cookie", "awx_sessionid=" + session + "; csrftoken=" + csrf,
                        "Origin", "http://127.0.0.1:" + relay.address.getPort()), null);
        assertThat(socket.connectBlocking(10, TimeUnit.SECONDS)).isTrue();
        assertThat(JSON.readTree((String) socket.next()).path("accept").asBoolean()).isTrue();
        socket.send(JSON.writeValueAsString(Map.of("xrftoken", csrf,
                "groups", Map.of("jobs", List.of("status_changed", "summary"), "job_events", List.of("1")))));

        List<Long> counters = new ArrayList<>();
        while (counters.size() < 30) {
            JsonNode message = JSON.readTree((String) socket.next());
            assertThat(message.has("error")).as("subscription accepted: " + message).isFalse();
            if ("job_events".equals(message.path("group_name").asText())) {
                counters.add(message.path("counter").asLong());
            }
        }
        for (int i = 1; i < counters.size(); i++) {
            assertThat(counters.get(i)).as("event counters strictly one apart: " + counters).isEqualTo(counters.get(i - 1) + 1);
        }
        socket.closeBlocking();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/websocket/", "/api/websocket/"})
    void handshakeWithoutSessionIsRefusedLikeTowerDoes(String path) throws Exception {
        TestClient socket = new TestClient(relay.uri("ws", path), Map.of(), null);
        assertThat(socket.connectBlocking(10, TimeUnit.SECONDS)).isFalse();
        assertThat(socket.events).anyMatch(e -> e.contains("403"));
        // Access-log lines are written by the log thread, just after the answer.
        await().atMost(Duration.ofSeconds(10)).until(() -> relay.logged(path, 403, null));
    }

    private static String cookie(CookieManager cookies, String name) {
        return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals(name))
                .map(HttpCookie::getValue).findFirst().orElseThrow(() -> new AssertionError("no cookie " + name));
    }
}

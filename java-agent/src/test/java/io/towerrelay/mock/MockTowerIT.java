package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.towerrelay.testsupport.RawHttp;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The mock's protocol, rule by rule, as DESIGN.md "Mock Tower" states it. */
class MockTowerIT {

    private MockTower tower;
    private TowerTestClient client;
    private final List<LiveEventsTestSocket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        tower = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofMillis(20)));
        client = new TowerTestClient(tower.hostAndPort());
    }

    @AfterEach
    void stop() throws Exception {
        for (LiveEventsTestSocket socket : sockets) {
            socket.closeBlocking();
        }
        tower.close();
    }

    private LiveEventsTestSocket openSocket(String path, Map<String, String> headers) throws Exception {
        LiveEventsTestSocket socket = LiveEventsTestSocket.open(
                java.net.URI.create("ws://" + tower.hostAndPort() + path), headers);
        sockets.add(socket);
        return socket;
    }

    private LiveEventsTestSocket loggedInSocket() throws Exception {
        client.login();
        LiveEventsTestSocket socket = openSocket("/websocket/", client.cookieHeader());
        assertThat(socket.isOpen()).as("socket open").isTrue();
        assertThat(socket.next().toString()).isEqualTo("{\"accept\":true,\"user\":1}");
        return socket;
    }

    // ---- HTTP ----

    @Test
    void pageSetsSessionAndCsrfCookiesAndOpensTheWebSocketOfItsOwnHost() throws Exception {
        HttpResponse<String> page = client.get("/");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().allValues("Set-Cookie"))
                .anySatisfy(c -> assertThat(c).startsWith("awx_sessionid=").contains("HttpOnly"))
                .anySatisfy(c -> assertThat(c).startsWith("csrftoken=").doesNotContain("HttpOnly"));
        assertThat(page.body()).contains("'/websocket/'", "location.host", "wss:", "xrftoken", "job_events");
        assertThat(client.cookie("csrftoken")).hasSize(64);
    }

    @Test
    void pingAnswersLikeAwx() throws Exception {
        HttpResponse<String> ping = client.get("/api/v2/ping/");

        assertThat(ping.statusCode()).isEqualTo(200);
        JsonNode json = Json.read(ping.body());
        assertThat(json.get("version").asText()).isNotEmpty();
        assertThat(json.get("ha").asBoolean()).isFalse();
        assertThat(json.get("instances").get(0).get("node").asText()).isEqualTo("mock-tower");
    }

    @Test
    void knownRouteWithoutTrailingSlashRedirectsLikeDjango() throws Exception {
        HttpResponse<String> response = client.get("/api/v2/ping");

        assertThat(response.statusCode()).isEqualTo(301);
        assertThat(response.headers().firstValue("Location")).hasValue("/api/v2/ping/");
        assertThat(client.get("/api/v2/nothing/").statusCode()).isEqualTo(404);
    }

    @Test
    void echoShowsRequestLineAndHeadersExactlyAsReceived() throws Exception {
        RawHttp.Response response = RawHttp.exchange(tower.address(),
                "GET /api/v2/mock/echo/?x=1 HTTP/1.1\r\n"
                        + "Host: tower.example.com\r\n"
                        + "x-forwarded-for: 203.0.113.7\r\n"
                        + "X-Custom: one\r\n"
                        + "X-Custom: two\r\n"
                        + "Connection: close\r\n\r\n");

        assertThat(response.status()).isEqualTo(200);
        JsonNode echo = Json.read(response.body());
        assertThat(echo.get("request_line").asText()).isEqualTo("GET /api/v2/mock/echo/?x=1 HTTP/1.1");
        assertThat(echo.get("query").asText()).isEqualTo("x=1");
        List<String> headers = new ArrayList<>();
        echo.get("headers").forEach(h -> headers.add(h.get("name").asText() + ": " + h.get("value").asText()));
        assertThat(headers).containsExactly("Host: tower.example.com", "x-forwarded-for: 203.0.113.7",
                "X-Custom: one", "X-Custom: two", "Connection: close");
        assertThat(echo.get("remote_addr").asText()).isEqualTo("127.0.0.1");
        // AWX's default REMOTE_HOST_HEADERS ignore X-Forwarded-For:
        assertThat(echo.get("remote_host").asText()).isEqualTo("127.0.0.1");
        assertThat(tower.receivedRequests()).last().satisfies(r -> assertThat(r.headerValues("X-Custom")).containsExactly("one", "two"));
    }

    @Test
    void echoDecodesAChunkedBody() throws Exception {
        RawHttp.Response response = RawHttp.exchange(tower.address(),
                "POST /api/v2/mock/echo/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");

        JsonNode echo = Json.read(response.body());
        assertThat(echo.get("body").asText()).isEqualTo("hello world");
        assertThat(echo.get("body_bytes").asInt()).isEqualTo(11);
    }

    @Test
    void answersExpectContinueBeforeTheBody() throws Exception {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(tower.address());
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST /api/v2/mock/echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response interim = RawHttp.read(socket.getInputStream());
            socket.getOutputStream().write("hello".getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response answer = RawHttp.read(socket.getInputStream());

            assertThat(interim.status()).isEqualTo(100);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(Json.read(answer.body()).get("body").asText()).isEqualTo("hello");
        }
    }

    @Test
    void keepsAConnectionAliveAcrossPipelinedRequests() throws Exception {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(tower.address());
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("GET /api/v2/ping/ HTTP/1.1\r\nHost: h\r\n\r\n"
                    + "GET /api/v2/mock/echo/ HTTP/1.1\r\nHost: h\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Response first = RawHttp.read(socket.getInputStream());
            RawHttp.Response second = RawHttp.read(socket.getInputStream());
            assertThat(first.body()).contains("\"instances\"");
            assertThat(second.body()).contains("\"request_line\":\"GET /api/v2/mock/echo/ HTTP/1.1\"");
            assertThat(second.head()).contains("Connection: keep-alive");
        }
    }

    @Test
    void malformedRequestGets400AndTheMockKeepsServing() throws Exception {
        RawHttp.Response bad = RawHttp.exchange(tower.address(), "GET /x HTTP/1.1\r\nHost : h\r\n\r\n");
        RawHttp.Response smuggle = RawHttp.exchange(tower.address(),
                "POST /api/v2/mock/echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

        assertThat(bad.status()).isEqualTo(400);
        assertThat(smuggle.status()).isEqualTo(400);
        assertThat(client.get("/api/v2/ping/").statusCode()).isEqualTo(200);
    }

    @Test
    void settingsNeedBasicAuth() throws Exception {
        HttpResponse<String> none = client.get("/api/v2/settings/system/");
        HttpResponse<String> wrong = client.send(HttpRequest.newBuilder(client.uri("/api/v2/settings/system/"))
                .header("Authorization", basic("admin", "wrong")));

        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"api\"");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("Invalid username/password.");
    }

    @Test
    void settingsHoldAwxDefaultsAndPatchChangesOnlyWhatItNames() throws Exception {
        HttpResponse<String> before = client.send(settings().GET());
        HttpResponse<String> patched = client.send(settings().method("PATCH", HttpRequest.BodyPublishers.ofString(
                "{\"REMOTE_HOST_HEADERS\": [\"HTTP_X_FORWARDED_FOR\", \"REMOTE_ADDR\"]}")));
        HttpResponse<String> after = client.send(settings().GET());

        assertThat(Json.read(before.body())).isEqualTo(Json.read(
                "{\"REMOTE_HOST_HEADERS\":[\"REMOTE_ADDR\",\"REMOTE_HOST\"],\"PROXY_IP_ALLOWED_LIST\":[],\"CSRF_TRUSTED_ORIGINS\":[]}"));
        assertThat(patched.statusCode()).isEqualTo(200);
        assertThat(Json.read(after.body())).isEqualTo(Json.read(
                "{\"REMOTE_HOST_HEADERS\":[\"HTTP_X_FORWARDED_FOR\",\"REMOTE_ADDR\"],\"PROXY_IP_ALLOWED_LIST\":[],\"CSRF_TRUSTED_ORIGINS\":[]}"));
        // Now AWX believes X-Forwarded-For:
        HttpResponse<String> echo = client.send(HttpRequest.newBuilder(client.uri("/api/v2/mock/echo/"))
                .header("X-Forwarded-For", "203.0.113.9, 127.0.0.1"));
        assertThat(Json.read(echo.body()).get("remote_host").asText()).isEqualTo("203.0.113.9");
    }

    @Test
    void settingsPatchWithAWrongTypeIs400AndChangesNothing() throws Exception {
        HttpResponse<String> patched = client.send(settings().method("PATCH", HttpRequest.BodyPublishers.ofString(
                "{\"CSRF_TRUSTED_ORIGINS\": [\"https://ok.example\"], \"REMOTE_HOST_HEADERS\": \"HTTP_X_FORWARDED_FOR\"}")));

        assertThat(patched.statusCode()).isEqualTo(400);
        assertThat(patched.body()).contains("REMOTE_HOST_HEADERS", "Expected a list of items but got type \\\"str\\\".");
        assertThat(tower.systemSettings().get("CSRF_TRUSTED_ORIGINS")).isEmpty();
    }

    @Test
    void postWhoseOriginIsNotTheHostIsRefusedLikeDjangoCsrf() throws Exception {
        String host = tower.hostAndPort();
        HttpResponse<String> foreign = client.send(HttpRequest.newBuilder(client.uri("/api/v2/mock/echo/"))
                .header("Origin", "https://tower.example.com").POST(HttpRequest.BodyPublishers.ofString("{}")));
        HttpResponse<String> same = client.send(HttpRequest.newBuilder(client.uri("/api/v2/mock/echo/"))
                .header("Origin", "http://" + host).POST(HttpRequest.BodyPublishers.ofString("{}")));

        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.body()).contains("CSRF Failed: Origin checking failed - https://tower.example.com");
        assertThat(same.statusCode()).isEqualTo(200);

        client.send(settings().method("PATCH", HttpRequest.BodyPublishers.ofString(
                "{\"CSRF_TRUSTED_ORIGINS\": [\"https://tower.example.com\"]}")));
        HttpResponse<String> trusted = client.send(HttpRequest.newBuilder(client.uri("/api/v2/mock/echo/"))
                .header("Origin", "https://tower.example.com").POST(HttpRequest.BodyPublishers.ofString("{}")));
        assertThat(trusted.statusCode()).isEqualTo(200);
    }

    // ---- WebSocket ----

    @Test
    void handshakeWithoutSessionCookieIsRefusedWith403() throws Exception {
        RawHttp.Response refused = RawHttp.exchange(tower.address(), handshake("/websocket/", ""));
        RawHttp.Response unknownSession = RawHttp.exchange(tower.address(),
                handshake("/websocket/", "Cookie: awx_sessionid=forged; csrftoken=x\r\n"));
        LiveEventsTestSocket socket = openSocket("/websocket/", Map.of());

        assertThat(refused.status()).isEqualTo(403);
        assertThat(unknownSession.status()).isEqualTo(403);
        assertThat(socket.isOpen()).isFalse();
        assertThat(socket.closeReason).contains("403");
    }

    @Test
    void plainGetOnTheWebSocketPathIsWhatABrokenProxyDelivers() throws Exception {
        client.login();
        HttpResponse<String> plain = client.get("/websocket/");

        assertThat(plain.statusCode()).isEqualTo(400);
        assertThat(plain.body()).contains("without 'Upgrade: websocket'");
    }

    @Test
    void upgradeOverHttp10IsAPlainGetAsRfc7230Says() throws Exception {
        client.login();
        RawHttp.Response refused = RawHttp.exchange(tower.address(), handshake("/websocket/",
                "Cookie: awx_sessionid=" + client.cookie("awx_sessionid") + "\r\n").replace("HTTP/1.1", "HTTP/1.0"));

        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).contains("arrived as HTTP/1.0", "proxy_http_version 1.1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/websocket/", "/api/websocket/"})
    void openSocketIsGreetedWithAcceptOnBothPaths(String path) throws Exception {
        client.login();
        LiveEventsTestSocket socket = openSocket(path, client.cookieHeader());

        assertThat(socket.handshakeStatus).isEqualTo(101);
        assertThat(socket.next()).isEqualTo(Json.read("{\"accept\": true, \"user\": 1}"));
    }

    @Test
    void subscriptionWithWrongOrMissingXrftokenIsDenied() throws Exception {
        LiveEventsTestSocket socket = loggedInSocket();

        socket.send(client.subscription("not-the-csrf-token", List.of("1")));
        assertThat(socket.next()).isEqualTo(Json.read("{\"error\": \"access denied to channel\"}"));
        socket.send("{\"groups\": {\"job_events\": [\"1\"]}}");
        assertThat(socket.next()).isEqualTo(Json.read("{\"error\": \"access denied to channel\"}"));
        assertThat(socket.isOpen()).isTrue();
    }

    @Test
    void subscriptionIsAnsweredWithCurrentLeftAndJoinedGroups() throws Exception {
        LiveEventsTestSocket socket = loggedInSocket();

        socket.send(client.subscription(client.cookie("csrftoken"), List.of("1")));

        assertThat(socket.next()).isEqualTo(Json.read("{\"groups_current\": [\"job_events-1\", \"jobs-status_changed\","
                + " \"jobs-summary\"], \"groups_left\": [], \"groups_joined\": [\"job_events-1\", \"jobs-status_changed\","
                + " \"jobs-summary\"]}"));
    }

    @Test
    void newGroupsMessageReplacesTheSubscription() throws Exception {
        LiveEventsTestSocket socket = loggedInSocket();
        String token = client.cookie("csrftoken");
        socket.send(client.subscription(token, List.of("1")));
        socket.nextWhere(m -> m.has("groups_current"));
        socket.nextWhere(m -> "job_events".equals(m.path("group_name").asText()));

        socket.send("{\"xrftoken\": \"" + token + "\", \"groups\": {\"job_events\": [\"2\"]}}");

        JsonNode reply = socket.nextWhere(m -> m.has("groups_current"));
        assertThat(reply).isEqualTo(Json.read("{\"groups_current\": [\"job_events-2\"], \"groups_left\":"
                + " [\"job_events-1\", \"jobs-status_changed\", \"jobs-summary\"], \"groups_joined\": [\"job_events-2\"]}"));
        // From here on only job 2's events arrive (it starts at counter 1).
        JsonNode first = socket.next();
        assertThat(first.get("job").asInt()).isEqualTo(2);
        assertThat(first.get("counter").asInt()).isEqualTo(1);
        for (int i = 0; i < 10; i++) {
            assertThat(socket.next().get("job").asInt()).isEqualTo(2);
        }
    }

    @Test
    void jobEventsArriveWithStrictlyIncreasingCounterFromOne() throws Exception {
        LiveEventsTestSocket socket = loggedInSocket();
        socket.send(client.subscription(client.cookie("csrftoken"), List.of("1")));
        socket.nextWhere(m -> m.has("groups_current"));

        List<JsonNode> events = new ArrayList<>();
        while (events.size() < 30) {
            JsonNode message = socket.next();
            if ("job_events".equals(message.path("group_name").asText())) {
                events.add(message);
            }
        }

        int line = 0;
        for (int i = 0; i < events.size(); i++) {
            JsonNode event = events.get(i);
            assertThat(event.get("counter").asInt()).isEqualTo(i + 1);
            assertThat(event.get("job").asInt()).isEqualTo(1);
            assertThat(event.get("uuid").asText()).hasSize(36);
            assertThat(event.get("created").asText()).isNotEmpty();
            assertThat(event.get("event").asText()).isNotEmpty();
            assertThat(event.get("stdout").asText()).isNotEmpty();
            assertThat(event.get("start_line").asInt()).isEqualTo(line);
            line = event.get("end_line").asInt();
            assertThat(line).isGreaterThan(event.get("start_line").asInt());
        }
        assertThat(events.get(0).get("event").asText()).isEqualTo("playbook_on_play_start");
        assertThat(events).extracting(e -> e.get("stdout").asText()).anySatisfy(s -> assertThat(s).startsWith("ok: ["));
    }

    @Test
    void statusOfTheJobIsSentToJobsStatusSubscribers() throws Exception {
        LiveEventsTestSocket socket = loggedInSocket();
        socket.send(client.subscription(client.cookie("csrftoken"), List.of("1")));

        JsonNode status = socket.nextWhere(m -> "jobs".equals(m.path("group_name").asText()));

        assertThat(status).isEqualTo(Json.read(
                "{\"group_name\": \"jobs\", \"unified_job_id\": 1, \"status\": \"running\", \"type\": \"job\"}"));
    }

    @Test
    void reconnectingSessionContinuesItsJobOutput() throws Exception {
        LiveEventsTestSocket first = loggedInSocket();
        first.send(client.subscription(client.cookie("csrftoken"), List.of("1")));
        int lastSeen = first.nextWhere(m -> m.path("counter").asInt() >= 5).get("counter").asInt();
        first.closeBlocking();

        LiveEventsTestSocket second = openSocket("/websocket/", client.cookieHeader());
        second.next();
        second.send(client.subscription(client.cookie("csrftoken"), List.of("1")));
        JsonNode next = second.nextWhere(m -> m.has("counter"));

        assertThat(next.get("counter").asInt()).isGreaterThan(lastSeen);
    }

    @Test
    void twoSocketsOfOneSessionEachGetEveryEventInOrder() throws Exception {
        LiveEventsTestSocket first = loggedInSocket();
        first.send(client.subscription(client.cookie("csrftoken"), List.of("1")));
        first.nextWhere(m -> m.path("counter").asInt() == 3);
        LiveEventsTestSocket second = openSocket("/websocket/", client.cookieHeader());
        second.next();
        second.send(client.subscription(client.cookie("csrftoken"), List.of("1")));

        int start = second.nextWhere(m -> m.has("counter")).get("counter").asInt();
        for (int expected = start + 1; expected < start + 20; expected++) {
            assertThat(second.nextWhere(m -> m.has("counter")).get("counter").asInt()).isEqualTo(expected);
        }
        int previous = 3;
        for (int i = 0; i < 20; i++) {
            int counter = first.nextWhere(m -> m.has("counter")).get("counter").asInt();
            assertThat(counter).isEqualTo(previous + 1);
            previous = counter;
        }
        assertThat(start).as("the second socket starts where the session got to").isGreaterThan(3);
    }

    @Test
    void closedSocketsAreForgotten() throws Exception {
        LiveEventsTestSocket first = loggedInSocket();
        LiveEventsTestSocket second = openSocket("/api/websocket/", client.cookieHeader());
        second.next();
        assertThat(tower.openWebSockets()).isEqualTo(2);

        first.closeBlocking();
        second.getSocket().close(); // a tab that goes away without a close handshake

        await().atMost(Duration.ofSeconds(20)).until(() -> tower.openWebSockets() == 0);
    }

    @Test
    void pingFollowsSilence() throws Exception {
        tower.close();
        tower = MockTower.start(MockTowerOptions.ephemeral().withPingInterval(Duration.ofMillis(200)));
        client = new TowerTestClient(tower.hostAndPort());
        LiveEventsTestSocket socket = loggedInSocket(); // subscribed to nothing: silent

        await().atMost(Duration.ofSeconds(20)).until(() -> socket.pings.get() >= 2);
        assertThat(socket.isOpen()).isTrue();
    }

    @Test
    void noPingWhenPingsAreOff() throws Exception {
        tower.close();
        tower = MockTower.start(MockTowerOptions.ephemeral().withPingInterval(Duration.ZERO));
        client = new TowerTestClient(tower.hostAndPort());
        LiveEventsTestSocket socket = loggedInSocket();

        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> socket.pings.get() == 0);
    }

    @Test
    void closingTheMockSaysGoingAwayToOpenSockets() throws Exception {
        LiveEventsTestSocket socket = loggedInSocket();

        tower.close();

        await().atMost(Duration.ofSeconds(20)).until(() -> !socket.isOpen());
        assertThat(socket.closeCode).isEqualTo(1001);
    }

    @Test
    void busyPortIsABindException() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
            assertThatThrownBy(() -> MockTower.start(MockTowerOptions.defaults().withListen(address)))
                    .isInstanceOf(BindException.class);
        }
    }

    private HttpRequest.Builder settings() {
        return HttpRequest.newBuilder(client.uri("/api/v2/settings/system/"))
                .header("Authorization", basic("admin", "password"))
                .header("Content-Type", "application/json");
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private static String handshake(String path, String extraHeaders) {
        return "GET " + path + " HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + extraHeaders + "\r\n";
    }
}

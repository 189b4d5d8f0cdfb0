package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.AccessLogFormat;
import io.towerrelay.config.Cidr;
import io.towerrelay.config.ForwardedConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.testsupport.RawHttp;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relay in-process between real clients (JDK HttpClient, curl, raw sockets) and a real upstream on loopback. */
class ProxyIT {
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final ByteArrayOutputStream accessLog = new ByteArrayOutputStream();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private TestUpstream upstream;
    private RelayServer relay;

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = TestUpstream.http();
        closeAfter.add(upstream);
    }

    @AfterEach
    void stopAll() throws Exception {
        if (relay != null) {
            relay.close();
        }
        for (AutoCloseable c : closeAfter) {
            c.close();
        }
    }

    private RelayConfig config(URI upstreamUri) {
        return RelayConfig.defaults().withListen(ANY_LOOPBACK_PORT).withAdmin(ANY_LOOPBACK_PORT)
                .withUpstream(upstreamUri).withShutdownGrace(Timeout.ofSeconds(2));
    }

    private void startRelay(RelayConfig config) throws IOException {
        relay = RelayServer.start(config, new PrintStream(accessLog, true, StandardCharsets.UTF_8));
    }

    private URI relayUri(String path) {
        return URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + path);
    }

    private String echoValue(String body, String key) {
        return body.lines().filter(l -> l.startsWith(key)).map(l -> l.substring(key.length())).findFirst().orElse(null);
    }

    @Test
    void getPostAndPutCarryBodiesBothWays() throws Exception {
        startRelay(config(upstream.uri()));
        HttpResponse<String> get = client.send(HttpRequest.newBuilder(relayUri("/echo?x=1")).build(), BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(200);
        assertThat(echoValue(get.body(), "method=")).isEqualTo("GET");
        assertThat(echoValue(get.body(), "target=")).isEqualTo("/echo?x=1");

        byte[] payload = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = TestUpstream.pattern(i);
        }
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload));
        for (String method : List.of("POST", "PUT")) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(relayUri("/echo"))
                    .method(method, BodyPublishers.ofByteArray(payload)).build(), BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(echoValue(r.body(), "method=")).isEqualTo(method);
            assertThat(echoValue(r.body(), "body-length=")).isEqualTo(Integer.toString(payload.length));
            assertThat(echoValue(r.body(), "body-sha256=")).isEqualTo(expected);
            assertThat(echoValue(r.body(), "content-length: ")).isEqualTo(Integer.toString(payload.length));
        }

        HttpResponse<byte[]> download = client.send(HttpRequest.newBuilder(relayUri("/bytes?n=5000000&fixed")).build(),
                BodyHandlers.ofByteArray());
        assertThat(download.headers().firstValue("content-length")).hasValue("5000000");
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.body())))
                .isEqualTo(TestUpstream.digestOfPattern(5_000_000));
    }

    @Test
    void chunkedRequestAndResponseStreamThrough() throws Exception {
        startRelay(config(upstream.uri()));
        byte[] payload = new byte[1_000_003];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = TestUpstream.pattern(i);
        }
        // An InputStream publisher has no length: the JDK client sends Transfer-Encoding: chunked.
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(relayUri("/echo"))
                .POST(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(payload))).build(), BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(echoValue(r.body(), "transfer-encoding: ")).isEqualTo("chunked");
        assertThat(echoValue(r.body(), "body-sha256="))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload)));

        Process curl = new ProcessBuilder("curl", "-sS", "-D", "-", "-o", "/dev/null", "-w", "size=%{size_download}",
                relayUri("/bytes?n=777777").toString()).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).containsIgnoringCase("transfer-encoding: chunked").contains("size=777777");
    }

    @Test
    void hopByHopHeadersAreDroppedHostIsKeptAndForwardedHeadersSet() throws Exception {
        startRelay(config(upstream.uri()));
        Process curl = new ProcessBuilder("curl", "-sS", "-i",
                "-H", "Host: tower.example.com",
                "-H", "Connection: keep-alive, X-Secret-Hop",
                "-H", "X-Secret-Hop: must-not-pass",
                "-H", "Keep-Alive: timeout=5",
                "-H", "TE: trailers",
                "-H", "Proxy-Authorization: Basic Zm9vOmJhcg==",
                "-H", "Upgrade: h2c",
                "-H", "X-Forwarded-For: 6.6.6.6",
                "-H", "X-Forwarded-Proto: https",
                "-H", "Cookie: awx_sessionid=abc",
                relayUri("/echo").toString()).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String body = out.substring(out.indexOf("\r\n\r\n") + 4);
        String head = out.substring(0, out.indexOf("\r\n\r\n"));
        assertThat(out).startsWith("HTTP/1.1 200");
        assertThat(body).contains("host: tower.example.com\n", "cookie: awx_sessionid=abc\n")
                .doesNotContain("x-secret-hop", "keep-alive: timeout", "te: ", "proxy-authorization", "upgrade:", "6.6.6.6");
        assertThat(echoValue(body, "x-forwarded-for: ")).isEqualTo("127.0.0.1");
        assertThat(echoValue(body, "x-forwarded-proto: ")).isEqualTo("http");
        assertThat(echoValue(body, "x-forwarded-host: ")).isEqualTo("tower.example.com");
        assertThat(echoValue(body, "x-forwarded-port: ")).isEqualTo(Integer.toString(relay.listenAddress().getPort()));
        // The upstream named X-Upstream-Private in its Connection header: hop-by-hop on the way back too.
        assertThat(head.toLowerCase()).doesNotContain("x-upstream-private");
    }

    @Test
    void trustedProxyKeepsForwardedChain() throws Exception {
        startRelay(config(upstream.uri()).withForwarded(new ForwardedConfig(List.of(Cidr.parse("127.0.0.0/8")))));
        Process curl = new ProcessBuilder("curl", "-sS", "-H", "X-Forwarded-For: 203.0.113.9",
                "-H", "X-Forwarded-Proto: https", "-H", "X-Forwarded-Port: 443", relayUri("/echo").toString()).start();
        String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(echoValue(body, "x-forwarded-for: ")).isEqualTo("203.0.113.9, 127.0.0.1");
        assertThat(echoValue(body, "x-forwarded-proto: ")).isEqualTo("https");
        assertThat(echoValue(body, "x-forwarded-port: ")).isEqualTo("443");
    }

    @Test
    void upstreamConnectionsAreKeptAliveAndReused() throws Exception {
        startRelay(config(upstream.uri()));
        for (int i = 0; i < 25; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(relayUri("/echo")).build(), BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
        }
        assertThat(upstream.requestsSeen()).isEqualTo(25);
        assertThat(upstream.connectionsUsed()).isEqualTo(1);
    }

    @Test
    void headResponseKeepsContentLength() throws Exception {
        startRelay(config(upstream.uri()));
        HttpResponse<Void> r = client.send(HttpRequest.newBuilder(relayUri("/bytes?n=12345&fixed"))
                .method("HEAD", BodyPublishers.noBody()).build(), BodyHandlers.discarding());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-length")).hasValue("12345");
    }

    @Test
    void upstreamDownGives502NamingTheCause() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        startRelay(config(URI.create("http://127.0.0.1:" + closedPort)));
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(relayUri("/api/v2/ping/")).build(), BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("refused the connection").contains("127.0.0.1:" + closedPort);
        // The log line is written when HttpCore5 releases the exchange, which may be just after the client has it.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(accessLog.toString(StandardCharsets.UTF_8)).contains("\"GET /api/v2/ping/ HTTP/1.1\" 502"));
        assertThat(relay.metrics().render(0)).contains("towerrelay_upstream_errors_total{kind=\"connect_refused\"} 1");
    }

    @Test
    void silentUpstreamGives504AfterResponseTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // read nothing, answer nothing
                    }
                } catch (IOException closed) {
                    // test over
                }
            });
            acceptor.start();
            RelayConfig c = config(URI.create("http://127.0.0.1:" + silent.getLocalPort()));
            startRelay(c.withUpstream(c.upstream().withTimeouts(Timeout.ofSeconds(5), Timeout.ofSeconds(1))));
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(relayUri("/slow")).build(), BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(r.body()).contains("did not respond within 1s");
            assertThat(relay.metrics().render(0)).contains("towerrelay_upstream_errors_total{kind=\"response_timeout\"} 1");
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @Test
    void absoluteFormForOtherHostsAndConnectAreRefused() throws Exception {
        startRelay(config(upstream.uri()));
        RawHttp.Response absolute = RawHttp.exchange(relay.listenAddress(),
                "GET http://evil.example/steal HTTP/1.1\r\nHost: tower.example.com\r\n\r\n");
        assertThat(absolute.status()).isEqualTo(400);
        assertThat(absolute.body()).contains("not an open proxy");
        RawHttp.Response connect = RawHttp.exchange(relay.listenAddress(),
                "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n");
        assertThat(connect.status()).isEqualTo(405);
        assertThat(connect.body()).contains("CONNECT refused");
        assertThat(upstream.requestsSeen()).isZero();

        // absolute-form naming the Host it is sent with is ordinary HTTP/1.1 and is proxied.
        RawHttp.Response same = RawHttp.exchange(relay.listenAddress(),
                "GET http://tower.example.com/echo HTTP/1.1\r\nHost: tower.example.com\r\nConnection: close\r\n\r\n");
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.body()).contains("target=/echo\n", "host: tower.example.com\n");
    }

    @Test
    void oversizedHeadsGet414And431AndTheRelayKeepsServing() throws Exception {
        startRelay(config(upstream.uri()));
        RawHttp.Response longUri = RawHttp.exchange(relay.listenAddress(),
                "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: t\r\n\r\n");
        assertThat(longUri.status()).isEqualTo(414);
        assertThat(longUri.head()).containsIgnoringCase("connection: close");
        RawHttp.Response bigHeaders = RawHttp.exchange(relay.listenAddress(),
                "GET / HTTP/1.1\r\nHost: t\r\n" + ("X-Filler: " + "b".repeat(4000) + "\r\n").repeat(10) + "\r\n");
        assertThat(bigHeaders.status()).isEqualTo(431);
        RawHttp.Response garbage = RawHttp.exchange(relay.listenAddress(), "GARBAGE\r\n\r\n");
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(upstream.requestsSeen()).isZero();
        HttpResponse<String> ok = client.send(HttpRequest.newBuilder(relayUri("/echo")).build(), BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    @Test
    void adminServesHealthAndMetrics() throws Exception {
        startRelay(config(upstream.uri()).withAccessLog(AccessLogFormat.JSON));
        client.send(HttpRequest.newBuilder(relayUri("/echo")).build(), BodyHandlers.ofString());
        URI admin = URI.create("http://127.0.0.1:" + relay.adminAddress().getPort());
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(admin.resolve("/healthz")).build(), BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(health.body()).contains("\"status\":\"ok\"", "\"reachable\":true", "\"uptime_seconds\":");
        HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(admin.resolve("/metrics")).build(), BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("towerrelay_http_requests_total{class=\"2xx\"} ",
                "# TYPE towerrelay_http_request_duration_seconds histogram", "towerrelay_connections_active",
                "towerrelay_websocket_tunnels_active 0", "towerrelay_upstream_pool_max 64");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(accessLog.toString(StandardCharsets.UTF_8)).contains("\"type\":\"http\"", "\"method\":\"GET\"",
                "\"target\":\"/echo\"", "\"status\":200"));

        upstream.close();
        // The upstream's listener goes away asynchronously: health must turn to 503 once it has.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> down = client.send(HttpRequest.newBuilder(admin.resolve("/healthz")).build(), BodyHandlers.ofString());
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"reachable\":false");
        });
    }

    static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}

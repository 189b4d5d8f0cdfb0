package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpClient.Version;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The proxying rules that matter, over HTTP/2 and over HTTP/1.1 on the same TLS listener (ALPN picks): bodies
 * both ways, Host and the forwarding headers, hop-by-hop headers on the way back, 502 and 504 with their bodies,
 * the access log and the metrics naming the protocol.
 */
class Http2ProxyIT {
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @TempDir
    static Path dir;
    static TestCertificates certs;

    private final ByteArrayOutputStream accessLog = new ByteArrayOutputStream();
    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private TestUpstream upstream;
    private RelayServer relay;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certs = TestCertificates.create(dir);
    }

    @BeforeEach
    void startUpstream() throws Exception {
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
        return RelayConfig.defaults()
                .withListen(new ListenConfig(ANY_LOOPBACK_PORT, new TlsFiles(certs.certPem, certs.keyPem)))
                .withAdmin(null).withUpstream(upstreamUri).withShutdownGrace(Timeout.ofSeconds(2));
    }

    private void startRelay(RelayConfig config) throws Exception {
        relay = RelayServer.start(config, new PrintStream(accessLog, true, StandardCharsets.UTF_8));
    }

    private HttpClient client(Version version) throws Exception {
        return HttpClient.newBuilder().sslContext(certs.clientContext()).version(version)
                .connectTimeout(Duration.ofSeconds(10)).build();
    }

    private URI uri(String path) {
        return URI.create("https://localhost:" + relay.listenAddress().getPort() + path);
    }

    private static String wire(Version version) {
        return version == Version.HTTP_2 ? "HTTP/2.0" : "HTTP/1.1";
    }

    private static String echoValue(String body, String key) {
        return body.lines().filter(l -> l.startsWith(key)).map(l -> l.substring(key.length())).findFirst().orElse(null);
    }

    @ParameterizedTest
    @EnumSource(value = Version.class)
    void bodiesStreamBothWaysAndHeadersFollowTheRules(Version version) throws Exception {
        startRelay(config(upstream.uri()));
        HttpClient client = client(version);
        byte[] payload = new byte[3 * 1024 * 1024 + 17];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = TestUpstream.pattern(i);
        }
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(uri("/echo?x=1"))
                .header("Cookie", "awx_sessionid=abc").header("X-Forwarded-For", "6.6.6.6")
                .POST(BodyPublishers.ofByteArray(payload)).build(), BodyHandlers.ofString());
        assertThat(post.version()).isEqualTo(version);
        assertThat(post.statusCode()).isEqualTo(200);
        String body = post.body();
        assertThat(echoValue(body, "method=")).isEqualTo("POST");
        assertThat(echoValue(body, "target=")).isEqualTo("/echo?x=1");
        assertThat(echoValue(body, "body-length=")).isEqualTo(Integer.toString(payload.length));
        assertThat(echoValue(body, "body-sha256="))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload)));
        // Host from :authority over HTTP/2, as the Host header over HTTP/1.1; forwarding headers set, not trusted.
        String authority = "localhost:" + relay.listenAddress().getPort();
        assertThat(echoValue(body, "host: ")).isEqualTo(authority);
        assertThat(echoValue(body, "x-forwarded-host: ")).isEqualTo(authority);
        assertThat(echoValue(body, "x-forwarded-proto: ")).isEqualTo("https");
        assertThat(echoValue(body, "x-forwarded-port: ")).isEqualTo(Integer.toString(relay.listenAddress().getPort()));
        assertThat(echoValue(body, "x-forwarded-for: ")).isEqualTo("127.0.0.1");
        assertThat(echoValue(body, "cookie: ")).isEqualTo("awx_sessionid=abc");
        // Upstream named X-Upstream-Private in Connection: hop-by-hop, dropped (over HTTP/2 it would be malformed).
        assertThat(post.headers().map()).doesNotContainKeys("x-upstream-private", "connection");

        HttpResponse<byte[]> download = client.send(HttpRequest.newBuilder(uri("/bytes?n=5000000&fixed")).build(),
                BodyHandlers.ofByteArray());
        assertThat(download.headers().firstValue("content-length")).hasValue("5000000");
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(download.body())))
                .isEqualTo(TestUpstream.digestOfPattern(5_000_000));
        HttpResponse<byte[]> chunked = client.send(HttpRequest.newBuilder(uri("/bytes?n=777777")).build(),
                BodyHandlers.ofByteArray());
        assertThat(chunked.body()).hasSize(777_777);
        assertThat(chunked.headers().firstValue("transfer-encoding").isPresent()).isEqualTo(version == Version.HTTP_1_1);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(accessLog.toString(StandardCharsets.UTF_8))
                .contains("\"POST /echo?x=1 " + wire(version) + "\" 200", "\"GET /bytes?n=777777 " + wire(version) + "\" 200"));
        assertThat(relay.metrics().render(0))
                .contains("towerrelay_http_requests_by_protocol_total{protocol=\"" + wire(version) + "\"} 3");
    }

    @ParameterizedTest
    @EnumSource(value = Version.class)
    void upstreamDownGives502AndSilentUpstreamGives504WithTheirBodies(Version version) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        startRelay(config(URI.create("http://127.0.0.1:" + closedPort)));
        HttpResponse<String> r = client(version).send(HttpRequest.newBuilder(uri("/api/v2/ping/")).build(),
                BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("refused the connection").contains("127.0.0.1:" + closedPort);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(accessLog.toString(StandardCharsets.UTF_8))
                .contains("\"GET /api/v2/ping/ " + wire(version) + "\" 502"));
        relay.close();
        relay = null;

        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (Exception closed) {
                    // test over
                }
            });
            acceptor.start();
            RelayConfig c = config(URI.create("http://127.0.0.1:" + silent.getLocalPort()));
            startRelay(c.withUpstream(c.upstream().withTimeouts(Timeout.ofSeconds(5), Timeout.ofSeconds(1))));
            HttpResponse<String> slow = client(version).send(HttpRequest.newBuilder(uri("/slow")).build(),
                    BodyHandlers.ofString());
            assertThat(slow.statusCode()).isEqualTo(504);
            assertThat(slow.body()).contains("did not respond within 1s");
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    /**
     * Backpressure is per stream: a download the client stops reading holds only its own stream's window, and a
     * request on another stream of the same HTTP/2 connection is answered meanwhile.
     */
    @Test
    void aStalledStreamDoesNotStallTheOthersOnItsConnection() throws Exception {
        startRelay(config(upstream.uri()));
        HttpClient client = client(Version.HTTP_2);
        HttpResponse<InputStream> stalled = client.send(HttpRequest.newBuilder(uri("/bytes?n=200000000&fixed")).build(),
                BodyHandlers.ofInputStream());
        assertThat(stalled.version()).isEqualTo(Version.HTTP_2);
        assertThat(stalled.body().readNBytes(1000)).hasSize(1000); // then nothing more is read for a while
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> other = client.send(HttpRequest.newBuilder(uri("/echo")).build(), BodyHandlers.ofString());
            assertThat(other.statusCode()).isEqualTo(200);
            assertThat(other.version()).isEqualTo(Version.HTTP_2);
        }
        assertThat(upstream.connectionsUsed()).as("the stalled download holds its own upstream connection").isEqualTo(2);
        stalled.body().close();
    }

    /** The same TLS port speaks both: curl --http2 gets h2, curl --http1.1 gets HTTP/1.1, plain HTTP stays 1.1. */
    @Test
    void curlGetsHttp2OrHttp11OnTheSamePortAndListenHttp2FalseTurnsH2Off() throws Exception {
        startRelay(config(upstream.uri()));
        assertThat(curl("--http2")).isEqualTo("2 200");
        assertThat(curl("--http1.1")).isEqualTo("1.1 200");
        relay.close();
        relay = null;

        RelayConfig off = config(upstream.uri());
        startRelay(off.withListen(off.listen().withHttp2(false)));
        assertThat(curl("--http2")).as("listen.http2: false offers no h2 by ALPN").isEqualTo("1.1 200");
        assertThat(curl("--http1.1")).isEqualTo("1.1 200");
    }

    /** A plain listener never speaks h2c: curl's Upgrade: h2c is dropped and the answer is HTTP/1.1. */
    @Test
    void aPlainListenerIgnoresH2cUpgrades() throws Exception {
        relay = RelayServer.start(RelayConfig.defaults().withListen(ANY_LOOPBACK_PORT).withAdmin(null)
                .withUpstream(upstream.uri()).withShutdownGrace(Timeout.ofSeconds(2)),
                new PrintStream(accessLog, true, StandardCharsets.UTF_8));
        Process curl = new ProcessBuilder("curl", "-sS", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                "http://127.0.0.1:" + relay.listenAddress().getPort() + "/echo").redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("1.1 200");
        assertThat(upstream.lastHeaders()).doesNotContainKeys("upgrade", "http2-settings");
    }

    private String curl(String protocol) throws Exception {
        Process curl = new ProcessBuilder("curl", "-sS", protocol, "--cacert", certs.caPem.toString(), "-o", "/dev/null",
                "-w", "%{http_version} %{http_code}", uri("/echo").toString()).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}

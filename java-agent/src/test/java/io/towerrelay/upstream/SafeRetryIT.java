package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stale keep-alive race (RFC 9110 section 9.2.2): an upstream that closes every connection right after its
 * answer, without {@code Connection: close}, must never cost a client an error on a request the relay may safely
 * send again; and a request that may have reached Tower and is not idempotent is never sent twice.
 */
class SafeRetryIT {
    private static final int REQUESTS = 1000;

    private ClosingUpstream upstream;
    private RelayServer relay;

    @BeforeEach
    void start() throws IOException {
        upstream = new ClosingUpstream();
        relay = RelayServer.start(config(upstream.uri()), quietLog());
    }

    private static RelayConfig config(URI upstream) {
        return RelayConfig.defaults().withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withAdmin(null).withUpstream(upstream).withShutdownGrace(Timeout.ofSeconds(2));
    }

    private static PrintStream quietLog() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() throws IOException {
        relay.close();
        upstream.close();
    }

    @Test
    void everyGetSucceedsOverKeptAliveClientConnections() throws Exception {
        int clients = 4;
        List<String> failures = run(clients, socketPerClient -> {
            List<String> failed = new ArrayList<>();
            try (Socket socket = connect()) {
                for (int i = 0; i < REQUESTS / clients; i++) {
                    String path = "/api/v2/jobs/" + socketPerClient + "-" + i + "/";
                    RawHttp.send(socket, "GET " + path + " HTTP/1.1\r\nHost: tower\r\n\r\n");
                    RawHttp.Response response = RawHttp.read(socket.getInputStream());
                    if (response.status() != 200 || !response.body().equals("ok GET " + path + "\n")) {
                        failed.add(path + " -> " + response.status() + " " + response.body().trim());
                    }
                }
            }
            return failed;
        });
        assertThat(failures).isEmpty();
        assertThat(upstream.requests()).isGreaterThanOrEqualTo(REQUESTS);
        // The race did happen (else this test proves nothing), and an operator can see it.
        assertThat(relay.metrics().render(0)).containsPattern("(?m)^towerrelay_upstream_retries_total [1-9]");
        System.out.printf("kept-alive: %d GETs, %d reached the upstream on %d connections, %s%n", REQUESTS,
                upstream.requests(), upstream.connections(), retries());
    }

    @Test
    void everyGetSucceedsOverNewClientConnections() throws Exception {
        int clients = 8;
        List<String> failures = run(clients, client -> {
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < REQUESTS / clients; i++) {
                String path = "/api/v2/ping/" + client + "-" + i;
                RawHttp.Response response = RawHttp.exchange(relay.listenAddress(),
                        "GET " + path + " HTTP/1.1\r\nHost: tower\r\nConnection: close\r\n\r\n");
                if (response.status() != 200 || !response.body().equals("ok GET " + path + "\n")) {
                    failed.add(path + " -> " + response.status() + " " + response.body().trim());
                }
            }
            return failed;
        });
        assertThat(failures).isEmpty();
        System.out.printf("new connections: %d GETs, %d reached the upstream on %d connections, %s%n", REQUESTS,
                upstream.requests(), upstream.connections(), retries());
    }

    private String retries() {
        return relay.metrics().render(0).lines().filter(l -> l.startsWith("towerrelay_upstream_retries_total")).findFirst().orElse("");
    }

    @Test
    void postThatMayHaveReachedTowerIsNotRetried() throws Exception {
        try (Socket socket = connect()) {
            RawHttp.send(socket, "POST /drop/launch HTTP/1.1\r\nHost: tower\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2\r\n\r\n{}");
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertThat(response.status()).isEqualTo(502);
        }
        assertThat(upstream.received("POST /drop/launch")).isEqualTo(1);
    }

    @Test
    void bodilessPostThatMayHaveReachedTowerIsNotRetriedEither() throws Exception {
        try (Socket socket = connect()) {
            RawHttp.send(socket, "POST /drop/relaunch HTTP/1.1\r\nHost: tower\r\nContent-Length: 0\r\n\r\n");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(502);
        }
        assertThat(upstream.received("POST /drop/relaunch")).isEqualTo(1);
    }

    @Test
    void idempotentRequestIsRetriedOnceAndNoMore() throws Exception {
        try (Socket socket = connect()) {
            RawHttp.send(socket, "GET /drop/twice HTTP/1.1\r\nHost: tower\r\n\r\n");
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertThat(response.status()).isEqualTo(502);
            // The client connection still serves the next request.
            RawHttp.send(socket, "GET /after HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(RawHttp.read(socket.getInputStream()).body()).isEqualTo("ok GET /after\n");
        }
        assertThat(upstream.received("GET /drop/twice")).isEqualTo(2);
    }

    @Test
    void idempotentRequestsAreAnsweredByTheRetry() throws Exception {
        try (Socket socket = connect()) {
            for (String method : new String[] {"GET", "HEAD", "OPTIONS", "DELETE"}) {
                RawHttp.send(socket, method + " /once/" + method + " HTTP/1.1\r\nHost: tower\r\n\r\n");
                int status = method.equals("HEAD") ? Integer.parseInt(RawHttp.head(socket.getInputStream()).split(" ")[1])
                        : RawHttp.read(socket.getInputStream()).status();
                assertThat(status).as(method).isEqualTo(200);
                assertThat(upstream.received(method + " /once/" + method)).isEqualTo(2);
            }
        }
    }

    @Test
    void anEmptyBodyCountsAsNoBody() throws Exception {
        // The JDK's HttpClient sends GETs with "Content-Length: 0"; an empty body can always be sent again.
        try (Socket socket = connect()) {
            RawHttp.send(socket, "GET /once/empty HTTP/1.1\r\nHost: tower\r\nContent-Length: 0\r\n\r\n");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(200);
        }
        assertThat(upstream.received("GET /once/empty")).isEqualTo(2);
    }

    @Test
    void aPutWhoseBodyWasSentIsNotRetried() throws Exception {
        // The relay streams bodies and keeps no copy: once body bytes went out, the PUT cannot be sent again.
        try (Socket socket = connect()) {
            RawHttp.send(socket, "PUT /drop/put HTTP/1.1\r\nHost: tower\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(502);
        }
        assertThat(upstream.received("PUT /drop/put")).isEqualTo(1);
    }

    @Test
    void retryWorksAgainstAnHttpsUpstream(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (ClosingUpstream tls = new ClosingUpstream(certs.serverContext())) {
            RelayConfig config = config(tls.uri());
            config = config.withUpstream(config.upstream().withTls(true, certs.caPem));
            try (RelayServer tlsRelay = RelayServer.start(config, quietLog())) {
                for (int i = 0; i < 50; i++) {
                    RawHttp.Response response = RawHttp.exchange(tlsRelay.listenAddress(),
                            "GET /once/" + i + " HTTP/1.1\r\nHost: tower\r\nConnection: close\r\n\r\n");
                    assertThat(response.status()).isEqualTo(200);
                    assertThat(response.body()).isEqualTo("ok GET /once/" + i + "\n");
                }
            }
        }
    }

    @Test
    void pooledConnectionIsNotReusedPastTheUpstreamsKeepAliveTimeout() throws Exception {
        try (Socket socket = connect()) {
            RawHttp.send(socket, "GET /keepalive/1 HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(200);
            RawHttp.send(socket, "GET /keepalive/2 HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(200);
            assertThat(upstream.connections()).as("within Keep-Alive: timeout=1 the connection is reused").isEqualTo(1);
            // Still open upstream (it closes after 1.5 s idle), but past what the upstream promised.
            Thread.sleep(1100);
            RawHttp.send(socket, "POST /keepalive/3 HTTP/1.1\r\nHost: tower\r\nContent-Length: 2\r\n\r\n{}");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(200);
        }
        assertThat(upstream.connections()).as("past Keep-Alive: timeout=1 a new connection").isEqualTo(2);
    }

    @Test
    void connectionCloseFromTheUpstreamIsHonoured() throws Exception {
        try (Socket socket = connect()) {
            RawHttp.send(socket, "GET /conn-close/1 HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(200);
            // A POST is never retried: it succeeds only when the relay does not reuse the closing connection.
            RawHttp.send(socket, "POST /conn-close/2 HTTP/1.1\r\nHost: tower\r\nContent-Length: 2\r\n\r\n{}");
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok POST /conn-close/2\n");
        }
        assertThat(upstream.connections()).isEqualTo(2);
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(relay.listenAddress(), 10_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    interface Client {
        List<String> run(int index) throws Exception;
    }

    private static List<String> run(int clients, Client client) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int index = c;
                results.add(pool.submit(() -> client.run(index)));
            }
            List<String> failures = new ArrayList<>();
            for (Future<List<String>> result : results) {
                failures.addAll(result.get(5, TimeUnit.MINUTES));
            }
            return failures;
        } finally {
            pool.shutdownNow();
        }
    }
}

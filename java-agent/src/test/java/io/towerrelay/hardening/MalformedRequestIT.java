package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Request smuggling and malformed heads sent over raw sockets, each followed in the same write by a pipelined
 * request for {@code /smuggled}: the relay must answer 400 and close, never proxy another request from that connection, never let
 * {@code /smuggled} reach Tower, and keep serving a client that was already connected, throughout.
 */
class MalformedRequestIT {
    private static final String NEXT = "GET /smuggled HTTP/1.1\r\nHost: tower\r\n\r\n";

    private static MockTower tower;
    private static RelayServer relay;
    private static BystanderClient bystander;

    @BeforeAll
    static void start() throws Exception {
        tower = MockTower.start(MockTowerOptions.ephemeral());
        relay = RelayServer.start(RelayConfig.defaults()
                .withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).withAdmin(null)
                .withUpstream(java.net.URI.create("http://" + tower.hostAndPort()))
                .withShutdownGrace(Timeout.ofSeconds(2)),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        bystander = BystanderClient.start(relay.listenAddress());
    }

    @AfterAll
    static void stop() throws Exception {
        BystanderClient.Tally tally = bystander.stop();
        relay.close();
        tower.close();
        // A well-behaved keep-alive client was served all along, on one connection, without one failure.
        assertThat(tally.failures()).as("bystander failures: %s", tally.firstFailure()).isZero();
        assertThat(tally.ok()).isPositive();
    }

    static Stream<Arguments> hostileRequests() {
        return Stream.of(
                Arguments.of("Content-Length with Transfer-Encoding",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("Transfer-Encoding with Content-Length",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n"),
                Arguments.of("two different Content-Lengths",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nab"),
                Arguments.of("Content-Length list",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nContent-Length: 2, 5\r\n\r\nab"),
                Arguments.of("negative Content-Length",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nContent-Length: -1\r\n\r\n"),
                Arguments.of("Content-Length with a sign",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nContent-Length: +2\r\n\r\nab"),
                Arguments.of("non-numeric Content-Length",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nContent-Length: ab\r\n\r\n"),
                Arguments.of("Transfer-Encoding not ending in chunked",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
                Arguments.of("obfuscated Transfer-Encoding",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("chunk size not hex",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n"),
                Arguments.of("chunk size overflowing 64 bits",
                        "POST /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000002\r\nab\r\n0\r\n\r\n"),
                Arguments.of("NUL in a header value",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nX-A: a\0b\r\n\r\n"),
                Arguments.of("control character in a header value",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nX-A: a\u0001b\r\n\r\n"),
                Arguments.of("bare CR in a header value",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nX-A: a\rb\r\n\r\n"),
                Arguments.of("space before the colon",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
                Arguments.of("invalid character in a header name",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nX(A): b\r\n\r\n"),
                Arguments.of("invalid method token",
                        "G(T /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n"),
                Arguments.of("request target without a slash",
                        "GET api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n"),
                Arguments.of("space inside the request target",
                        "GET /api/v2 /ping/ HTTP/1.1\r\nHost: tower\r\n\r\n"),
                Arguments.of("control character in the request target",
                        "GET /api/v2/\u0001ping/ HTTP/1.1\r\nHost: tower\r\n\r\n"),
                Arguments.of("unknown HTTP version",
                        "GET /api/v2/ping/ HTTP/1.7\r\nHost: tower\r\n\r\n"),
                Arguments.of("no Host header",
                        "GET /api/v2/ping/ HTTP/1.1\r\n\r\n"),
                Arguments.of("two Host headers",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nHost: evil\r\n\r\n"),
                // Found by RequestHeadFuzzTest: HttpCore5 reads "//a//b/x" as authority a, path //b/x, and the path,
                // passed on, was split again (Tower got /x).
                Arguments.of("request target starting with //",
                        "GET //tower//smuggled/ HTTP/1.1\r\nHost: tower\r\n\r\n"),
                Arguments.of("non-ASCII Host",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: t\u00ffwer\r\n\r\n"),
                // Found by RequestHeadFuzzTest: HttpCore5 refuses such a port with an IllegalArgumentException, which
                // RequestScreen's Host check did not catch.
                Arguments.of("Host port out of range",
                        "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower:579866677\r\n\r\n"),
                // Found by RequestHeadFuzzTest: the refusal's own message threw (IDN.toASCII on the host).
                Arguments.of("non-ASCII host in an absolute-form target",
                        "GET http://t\u00ff" + "x".repeat(70) + "/api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileRequests")
    void hostileRequestIs400AndTheConnectionIsNotReused(String name, String request) throws Exception {
        long smuggledBefore = smuggledSeen();
        try (RawConnection keptAlive = new RawConnection(relay.listenAddress());
                RawConnection hostile = new RawConnection(relay.listenAddress())) {
            keptAlive.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(keptAlive.readOneResponse()).startsWith("HTTP/1.1 200");

            RawConnection.Received answer = hostile.write(request + NEXT).readUntilClosed(10_000);
            assertThat(answer.closedByRelay()).as("relay closed the connection; got:%n%s", answer.text()).isTrue();
            // 400 then close, or (framing errors HttpCore5's parser catches) close without an answer; a request
            // pipelined behind it gets 400 too or nothing, never an upstream answer.
            assertThat(answer.statuses()).as("answer to %s:%n%s", name, answer.text())
                    .allSatisfy(status -> assertThat(status).isEqualTo(400));

            // The connection that was open before is still served.
            keptAlive.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(keptAlive.readOneResponse()).startsWith("HTTP/1.1 200");
        }
        assertThat(smuggledSeen()).as("requests for /smuggled that reached Tower").isEqualTo(smuggledBefore);
    }

    private static long smuggledSeen() {
        return tower.receivedRequests().stream().filter(r -> r.path().startsWith("/smuggled")).count();
    }

    /**
     * RFC 9112 lets a server either reject obs-fold or replace it with a space, and accept a bare LF as a line end.
     * The relay (HttpCore5's parser) normalises both and writes a clean CRLF head upstream, so Tower can never read
     * the head differently from the relay: what arrives is one header with the folded value joined by a space.
     */
    @Test
    void obsFoldAndBareLfAreNormalisedNeverPassedThrough() throws Exception {
        try (RawConnection folded = new RawConnection(relay.listenAddress())) {
            RawConnection.Received answer = folded.write(
                    "GET /api/v2/mock/echo/ HTTP/1.1\r\nHost: tower\r\nX-Folded: a\r\n b\r\nConnection: close\r\n\r\n")
                    .readUntilClosed(10_000);
            assertThat(answer.statuses()).containsExactly(200);
            assertThat(lastEchoed().header("X-Folded")).hasValue("a b");
        }
        try (RawConnection bareLf = new RawConnection(relay.listenAddress())) {
            RawConnection.Received answer = bareLf.write(
                    "GET /api/v2/mock/echo/ HTTP/1.1\nHost: tower\nX-Bare: b\nConnection: close\n\n").readUntilClosed(10_000);
            assertThat(answer.statuses()).containsExactly(200);
            assertThat(lastEchoed().header("X-Bare")).hasValue("b");
        }
    }

    private static io.towerrelay.mock.HttpRequest lastEchoed() {
        return tower.receivedRequests().stream().filter(r -> r.path().equals("/api/v2/mock/echo/"))
                .reduce((a, b) -> b).orElseThrow();
    }

    @Test
    void tlsClientHelloToThePlainListenerIsRefused() throws Exception {
        try (RawConnection tls = new RawConnection(relay.listenAddress())) {
            RawConnection.Received answer = tls.write(TlsClientHello.bytes("tower.example.com")).readUntilClosed(10_000);
            assertThat(answer.closedByRelay()).isTrue();
            assertThat(answer.statuses()).hasSizeLessThanOrEqualTo(1).allSatisfy(s -> assertThat(s).isEqualTo(400));
        }
        try (RawConnection after = new RawConnection(relay.listenAddress())) {
            after.write("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(after.readOneResponse()).startsWith("HTTP/1.1 200");
        }
    }
}

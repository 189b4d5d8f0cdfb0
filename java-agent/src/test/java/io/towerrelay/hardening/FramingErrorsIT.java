package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 9112 section 6 (Content-Length, Transfer-Encoding, body length) and section 7 (chunked coding), case by
 * case, over raw sockets: every request the relay refuses for its framing gets the RFC's status (400, or 501 for a
 * transfer coding it does not implement) with {@code Connection: close}, then the connection is closed, and
 * neither it nor the request pipelined behind it reaches Tower. docs/reliability.md lists the cases.
 */
class FramingErrorsIT {
    private static MockTower tower;
    private static RelayServer relay;
    private static final ByteArrayOutputStream accessLog = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        tower = MockTower.start(MockTowerOptions.ephemeral());
        relay = RelayServer.start(TestRelays.config(URI.create("http://" + tower.hostAndPort())),
                new PrintStream(accessLog, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        relay.close();
        tower.close();
    }

    /** Name, status, and the head lines after the request line (the body and what follows are added below). */
    static Stream<Arguments> headFraming() {
        return Stream.of(
                // Content-Length (section 6.3 item 5; RFC 9110 section 8.6)
                Arguments.of("two different Content-Lengths", 400, "Content-Length: 2\r\nContent-Length: 5\r\n", "ab"),
                Arguments.of("two equal Content-Lengths", 400, "Content-Length: 2\r\nContent-Length: 2\r\n", "ab"),
                Arguments.of("Content-Length list, equal values", 400, "Content-Length: 2, 2\r\n", "ab"),
                Arguments.of("Content-Length list, different values", 400, "Content-Length: 2, 5\r\n", "ab"),
                Arguments.of("negative Content-Length", 400, "Content-Length: -1\r\n", ""),
                Arguments.of("Content-Length with a plus sign", 400, "Content-Length: +2\r\n", "ab"),
                Arguments.of("non-numeric Content-Length", 400, "Content-Length: ab\r\n", ""),
                Arguments.of("hexadecimal Content-Length", 400, "Content-Length: 0x2\r\n", "ab"),
                Arguments.of("empty Content-Length", 400, "Content-Length: \r\n", ""),
                Arguments.of("space inside Content-Length", 400, "Content-Length: 1 2\r\n", "ab"),
                Arguments.of("Content-Length overflowing 64 bits", 400, "Content-Length: 99999999999999999999\r\n", "ab"),
                Arguments.of("Content-Length of 19 digits", 400, "Content-Length: 1000000000000000000\r\n", "ab"),
                // Transfer-Encoding (sections 6.1 and 6.3 item 4)
                Arguments.of("Transfer-Encoding gzip", 400, "Transfer-Encoding: gzip\r\n", "ab"),
                Arguments.of("Transfer-Encoding chunked, gzip", 400, "Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"),
                Arguments.of("Transfer-Encoding identity", 400, "Transfer-Encoding: identity\r\n", "ab"),
                Arguments.of("Transfer-Encoding unknown token", 400, "Transfer-Encoding: xchunked\r\n", "0\r\n\r\n"),
                Arguments.of("Transfer-Encoding empty", 400, "Transfer-Encoding: \r\n", "0\r\n\r\n"),
                Arguments.of("chunked twice in one header", 400, "Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n"),
                Arguments.of("chunked in two headers", 400, "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
                        "0\r\n\r\n"),
                Arguments.of("gzip then chunked (coding not implemented)", 501, "Transfer-Encoding: gzip, chunked\r\n",
                        "0\r\n\r\n"),
                Arguments.of("unknown coding then chunked", 501, "Transfer-Encoding: foo, chunked\r\n", "0\r\n\r\n"),
                Arguments.of("Transfer-Encoding and Content-Length", 400,
                        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
                Arguments.of("Content-Length and Transfer-Encoding", 400,
                        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("headFraming")
    void badHeadFramingIsAnsweredAndClosed(String name, int status, String framing, String body) throws Exception {
        assertRefused("POST /api/v2/ping/?%s HTTP/1.1\r\nHost: tower\r\n" + framing + "\r\n" + body, status);
    }

    @Test
    void transferEncodingOnHttp10IsAnsweredAndClosed() throws Exception {
        assertRefused("POST /api/v2/ping/?%s HTTP/1.0\r\nHost: tower\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
        assertRefused("POST /api/v2/ping/?%s HTTP/1.0\r\nHost: tower\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                + "0\r\n\r\n", 400);
    }

    /** Chunked bodies found malformed only while decoding them (section 7.1). */
    static Stream<Arguments> chunkFraming() {
        return Stream.of(
                Arguments.of("chunk size not hex", "zz\r\nab\r\n0\r\n\r\n"),
                Arguments.of("chunk size over 64 bits", "10000000000000002\r\nab\r\n0\r\n\r\n"),
                Arguments.of("chunk size with 0x", "0x2\r\nab\r\n0\r\n\r\n"),
                Arguments.of("negative chunk size", "-2\r\nab\r\n0\r\n\r\n"),
                Arguments.of("chunk size with a sign", "+2\r\nab\r\n0\r\n\r\n"),
                Arguments.of("empty chunk size", "\r\nab\r\n0\r\n\r\n"),
                Arguments.of("no CRLF after the chunk data", "2\r\nabcd0\r\n\r\n"),
                Arguments.of("chunk line over the line limit", "2;" + "x".repeat(70_000) + "\r\nab\r\n0\r\n\r\n"),
                Arguments.of("trailer field without a colon", "2\r\nab\r\n0\r\nNot a field\r\n\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chunkFraming")
    void badChunkedBodyIsAnsweredAndClosed(String name, String body) throws Exception {
        assertRefused("POST /api/v2/ping/?%s HTTP/1.1\r\nHost: tower\r\nTransfer-Encoding: chunked\r\n\r\n" + body, 400);
    }

    /**
     * Sends {@code request} (its {@code %s} gets a tag) followed by a pipelined GET with the same tag, and checks:
     * exactly one answer, with {@code status} and {@code Connection: close}; the relay closed the connection; Tower
     * saw no request with the tag.
     */
    private static void assertRefused(String request, int status) throws Exception {
        long logged = loggedWithStatus(status);
        String tag = UUID.randomUUID().toString();
        String pipelined = "GET /api/v2/ping/?" + tag + "-next HTTP/1.1\r\nHost: tower\r\n\r\n";
        RawConnection.Received answer;
        try (RawConnection connection = new RawConnection(relay.listenAddress())) {
            answer = connection.write(request.formatted(tag) + pipelined).readUntilClosed(10_000);
        }
        assertThat(answer.closedByRelay()).as("closed by the relay; got:%n%s", answer.text()).isTrue();
        assertThat(answer.statuses()).as("answer:%n%s", answer.text()).containsExactly(status);
        assertThat(answer.text()).containsIgnoringCase("\r\nConnection: close\r\n");
        assertThat(tower.receivedRequests()).as("requests Tower saw").noneMatch(r -> r.target().contains(tag));
        // And the refusal is in the access log (one line more with that status).
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(loggedWithStatus(status))
                .as("access log:%n%s", accessLog.toString(StandardCharsets.UTF_8)).isEqualTo(logged + 1));
    }

    private static long loggedWithStatus(int status) {
        return accessLog.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("\" " + status + " ")).count();
    }
}

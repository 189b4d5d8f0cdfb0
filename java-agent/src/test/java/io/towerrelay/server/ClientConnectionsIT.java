package io.towerrelay.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.towerrelay.config.LimitsConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

/**
 * What a client sees on its connection to the relay's HTTP/1.1 server ({@link ServerHttp1Handler}), end to end over
 * loopback sockets: pipelining in order,
 * {@code Expect: 100-continue}, HEAD, HTTP/1.0 with and without keep-alive, a half-closed client, chunked uploads
 * with trailers, the request head limit, leading empty lines, uploads larger than the handler's buffers, and a client
 * that goes away mid-answer. Requests are written as raw bytes, so what is checked is exactly what is on the wire;
 * every read has a deadline, and each test one in all (a socket write has none), so a relay that stalls fails a test
 * rather than hanging the build.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = ThreadMode.SEPARATE_THREAD)
class ClientConnectionsIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ECHO = "/api/v2/mock/echo/";
    private static final String PING = "/api/v2/ping/";

    private static MockTower tower;
    private static RelayServer relay;

    @BeforeAll
    static void start() throws IOException {
        tower = MockTower.start(MockTowerOptions.ephemeral());
        relay = relayTo(URI.create("http://" + tower.hostAndPort()));
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
        if (tower != null) {
            tower.close();
        }
    }

    // ---- 1. pipelining ----

    @Test
    void threePipelinedGetsInOneWriteAreAnsweredInOrderAndTheConnectionStaysOpen() throws Exception {
        try (Client client = new Client(relay.listenAddress())) {
            client.write(get(ECHO + "?n=1") + get(ECHO + "?n=2") + get(ECHO + "?n=3"));
            for (int n = 1; n <= 3; n++) {
                Answer answer = client.answer();
                assertThat(answer.status()).isEqualTo(200);
                assertThat(echo(answer).path("query").asText()).as("answer %d of 3", n).isEqualTo("n=" + n);
            }

            client.write(get(ECHO + "?n=4"));
            Answer fourth = client.answer();
            assertThat(fourth.status()).isEqualTo(200);
            assertThat(echo(fourth).path("query").asText()).isEqualTo("n=4");
        }
    }

    @Test
    void pipelinedPostsWithBodiesAndAGetInOneWriteEachReachTheUpstreamWhole() throws Exception {
        try (Client client = new Client(relay.listenAddress())) {
            StringBuilder all = new StringBuilder();
            for (int n = 1; n <= 3; n++) {
                String body = bodyNumber(n);
                all.append("POST ").append(ECHO).append("?n=").append(n).append(" HTTP/1.1\r\nHost: tower\r\n")
                        .append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body);
            }
            client.write(all + get(ECHO + "?n=4"));
            for (int n = 1; n <= 3; n++) {
                JsonNode echo = echo(client.answer());
                assertThat(echo.path("query").asText()).isEqualTo("n=" + n);
                assertThat(echo.path("body").asText()).isEqualTo(bodyNumber(n));
            }
            assertThat(echo(client.answer()).path("query").asText()).isEqualTo("n=4");
        }
    }

    @Test
    void morePipelinedGetsThanTheReadBufferHoldsAreAllAnsweredInOrder() throws Exception {
        int count = 400; // about 20 KiB of request heads, more than the handler's 8 KiB read buffer
        try (Client client = new Client(relay.listenAddress())) {
            StringBuilder all = new StringBuilder();
            for (int n = 1; n <= count; n++) {
                all.append(get(ECHO + "?n=" + n));
            }
            client.write(all.toString());
            for (int n = 1; n <= count; n++) {
                Answer answer = client.answer();
                assertThat(answer.status()).isEqualTo(200);
                assertThat(echo(answer).path("query").asText()).isEqualTo("n=" + n);
            }
        }
    }

    // ---- 2. Expect: 100-continue ----

    @Test
    void expectContinueGets100BeforeTheBodyIsSentThenTheWholeBodyArrives() throws Exception {
        String body = "{\"name\": \"waited for 100 Continue\"}";
        try (Client client = new Client(relay.listenAddress())) {
            client.write("POST " + ECHO + " HTTP/1.1\r\nHost: tower\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.getBytes(UTF_8).length + "\r\nExpect: 100-continue\r\n\r\n");
            // Nothing of the body is sent yet: the relay must say 100 on its own.
            assertThat(client.head()).startsWith("HTTP/1.1 100 Continue\r\n");

            client.write(body.getBytes(UTF_8));
            Answer answer = client.answer();
            assertThat(answer.status()).isEqualTo(200);
            JsonNode echo = echo(answer);
            assertThat(echo.path("body").asText()).isEqualTo(body);
            assertThat(echo.path("body_bytes").asInt()).isEqualTo(body.getBytes(UTF_8).length);
        }
    }

    // ---- 3. HEAD ----

    @Test
    void headGetsTheHeadOnlyWithTheContentLengthOfAGetAndTheConnectionIsReused() throws Exception {
        // /api/ answers the same JSON every time, so a GET's length is what HEAD must announce.
        try (Client client = new Client(relay.listenAddress())) {
            client.write(get("/api/"));
            Answer full = client.answer();
            assertThat(full.status()).isEqualTo(200);
            String getLength = full.header("content-length");
            assertThat(getLength).isEqualTo(Integer.toString(full.body().length));

            client.write("HEAD /api/ HTTP/1.1\r\nHost: tower\r\n\r\n");
            String head = client.head();
            assertThat(head).startsWith("HTTP/1.1 200 ");
            assertThat(RawHttp.headerOf(head, "Content-Length")).isEqualTo(getLength);
            assertThat(RawHttp.headerOf(head, "Transfer-Encoding")).isNull();

            // No body bytes follow the HEAD answer: the next bytes on the socket are the next answer's status line.
            client.write(get("/api/"));
            Answer next = client.answer();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo(full.body());
        }
    }

    // ---- 4. HTTP/1.0 ----

    @Test
    void http10WithoutKeepAliveIsAnsweredThenClosed() throws Exception {
        try (Client client = new Client(relay.listenAddress())) {
            client.write("GET " + PING + " HTTP/1.0\r\nHost: tower\r\n\r\n");
            Answer answer = client.answer();
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.body()).isNotEmpty();
            assertThat(client.restUntilClosed()).as("bytes after the answer, then EOF").isEmpty();
        }
    }

    @Test
    void http10WithKeepAliveIsAnsweredKeepAliveAndTheConnectionIsReused() throws Exception {
        String request = "GET " + ECHO + "?n=%d HTTP/1.0\r\nHost: tower\r\nConnection: keep-alive\r\n\r\n";
        try (Client client = new Client(relay.listenAddress())) {
            client.write(request.formatted(1));
            Answer first = client.answer();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("connection")).isNotNull();
            assertThat(first.header("connection").toLowerCase(Locale.ROOT)).contains("keep-alive");
            assertThat(first.header("content-length")).as("an HTTP/1.0 client cannot read chunked").isNotNull();

            client.write(request.formatted(2));
            Answer second = client.answer();
            assertThat(second.status()).isEqualTo(200);
            assertThat(echo(second).path("query").asText()).isEqualTo("n=2");
        }
    }

    @Test
    void http10KeepAliveClientOfAChunkedUpstreamGetsTheBodyUnchunkedUntilClose() throws Exception {
        // An HTTP/1.0 client cannot read chunked: with no length known, the body can only end with the connection.
        try (RawHttp.ScriptedUpstream upstream = new RawHttp.ScriptedUpstream(head -> RawHttp.bytes(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n"), false);
                RelayServer toUpstream = relayTo(upstream.uri());
                Client client = new Client(toUpstream.listenAddress())) {
            client.write("GET /chunked HTTP/1.0\r\nHost: tower\r\nConnection: keep-alive\r\n\r\n");
            String head = client.head();
            assertThat(head).startsWith("HTTP/1.1 200 ");
            assertThat(RawHttp.headerOf(head, "Transfer-Encoding")).isNull();
            assertThat(head.toLowerCase(Locale.ROOT)).doesNotContain("keep-alive");
            assertThat(client.restUntilClosed()).isEqualTo("firstsecond");
        }
    }

    // ---- 5. half-close ----

    // The upstream takes its time in both: the relay sees the client's FIN while an answer is still to come.

    @Test
    void aClientThatShutsDownItsOutputAfterTheRequestStillGetsTheWholeAnswerThenEof() throws Exception {
        try (RawHttp.ScriptedUpstream upstream = slowUpstream();
                RelayServer toUpstream = relayTo(upstream.uri());
                Client client = new Client(toUpstream.listenAddress())) {
            client.write(get("/half-closed"));
            client.shutdownOutput();
            Answer answer = client.answer();
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.text()).isEqualTo("proxied /half-closed");
            assertThat(client.restUntilClosed()).as("bytes after the answer, then EOF").isEmpty();
        }
    }

    @Test
    void twoPipelinedGetsFollowedByAHalfCloseAreBothAnsweredThenEof() throws Exception {
        // Both requests are whole before the client's FIN: each was sent, so each is owed an answer.
        try (RawHttp.ScriptedUpstream upstream = slowUpstream();
                RelayServer toUpstream = relayTo(upstream.uri());
                Client client = new Client(toUpstream.listenAddress())) {
            client.write(get("/first") + get("/second"));
            client.shutdownOutput();
            Answer first = client.answer();
            assertThat(first.text()).isEqualTo("proxied /first");
            String afterFirst = client.restUntilClosed();
            assertThat(afterFirst).as("what came after the first answer, up to EOF (upstream saw %s)",
                    upstream.requests().stream().map(head -> head.lines().findFirst().orElse("")).toList())
                    .startsWith("HTTP/1.1 200 ").endsWith("proxied /second");
        }
    }

    // ---- 6. chunked upload with a trailer ----

    @Test
    void aChunkedPostWithATrailerReachesTheUpstreamWholeAndTheConnectionIsReused() throws Exception {
        try (Client client = new Client(relay.listenAddress())) {
            client.write("POST " + ECHO + "?chunked=1 HTTP/1.1\r\nHost: tower\r\nContent-Type: text/plain\r\n"
                    + "Transfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                    + "5\r\nhello\r\n"
                    + "8;ext=1\r\n, chunky\r\n"
                    + "6\r\n tower\r\n"
                    + "0\r\nX-Checksum: 1234\r\n\r\n");
            Answer answer = client.answer();
            assertThat(answer.status()).isEqualTo(200);
            JsonNode echo = echo(answer);
            assertThat(echo.path("body").asText()).isEqualTo("hello, chunky tower");
            assertThat(echo.path("body_bytes").asInt()).isEqualTo(19);

            // The trailer section was read to its end: the next request on the connection is parsed from its start.
            client.write(get(ECHO + "?after=trailer"));
            Answer next = client.answer();
            assertThat(next.status()).isEqualTo(200);
            assertThat(echo(next).path("query").asText()).isEqualTo("after=trailer");
        }
    }

    // ---- 7. request head limit ----

    @Test
    void aHeadLongerThanTheHandlersLimitGets431WithConnectionCloseAndTheNextConnectionIsServed() throws Exception {
        // RelayServer's maxHead: the handler answers a bare 431 once this much has come without the head's end.
        LimitsConfig limits = LimitsConfig.defaults();
        int maxHead = 2 * (limits.maxRequestLineBytes() + limits.maxHeaderBytes());
        String unfinished = "GET " + PING + " HTTP/1.1\r\nHost: tower\r\nX-Filler: " + "a".repeat(maxHead + 1024);
        try (Client client = new Client(relay.listenAddress())) {
            client.write(unfinished);
            Answer answer = client.answer();
            assertThat(answer.status()).isEqualTo(431);
            assertThat(answer.header("connection")).isEqualToIgnoringCase("close");
            assertThat(client.restUntilClosed()).as("bytes after the 431, then EOF").isEmpty();
        }
        assertPingServedOnANewConnection();
    }

    @Test
    void aCompleteHeadOverMaxHeaderBytesGets431WithConnectionCloseAndTheNextConnectionIsServed() throws Exception {
        // Under the handler's limit, so the head is parsed; the header section is over limits.max-header-bytes.
        int over = LimitsConfig.defaults().maxHeaderBytes() + 1024;
        String request = "GET " + PING + " HTTP/1.1\r\nHost: tower\r\nX-Filler: " + "a".repeat(over) + "\r\n\r\n";
        try (Client client = new Client(relay.listenAddress())) {
            client.write(request);
            Answer answer = client.answer();
            assertThat(answer.status()).isEqualTo(431);
            assertThat(answer.header("connection")).isEqualToIgnoringCase("close");
            assertThat(client.restUntilClosed()).as("bytes after the 431, then EOF").isEmpty();
        }
        assertPingServedOnANewConnection();
    }

    // ---- 8. leading empty lines ----

    @Test
    void emptyLinesBeforeTheRequestLineAreIgnored() throws Exception {
        try (Client client = new Client(relay.listenAddress())) {
            client.write("\r\n\r\n" + get(ECHO + "?n=1"));
            Answer first = client.answer();
            assertThat(first.status()).isEqualTo(200);
            assertThat(echo(first).path("query").asText()).isEqualTo("n=1");

            // Between two requests on a kept-alive connection too (a client ending a body with an extra CRLF).
            client.write("\r\n" + get(ECHO + "?n=2"));
            Answer second = client.answer();
            assertThat(second.status()).isEqualTo(200);
            assertThat(echo(second).path("query").asText()).isEqualTo("n=2");
        }
    }

    // ---- 9. a body larger than 1 MiB ----

    @Test
    void aThreeMebibyteUploadArrivesWhole() throws Exception {
        // The mock Tower refuses bodies over 1 MiB (413): this upstream counts and digests whatever it is sent.
        HttpServer counter = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        counter.createContext("/", exchange -> {
            MessageDigest sha = sha256();
            long count = 0;
            try (InputStream in = exchange.getRequestBody()) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                    count += n;
                }
            }
            byte[] text = ("bytes=" + count + " sha256=" + HexFormat.of().formatHex(sha.digest())).getBytes(UTF_8);
            exchange.sendResponseHeaders(200, text.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(text);
            }
        });
        counter.start();
        byte[] body = new byte[3 * 1024 * 1024];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 31 + (i >>> 13));
        }
        String expected = "bytes=" + body.length + " sha256=" + HexFormat.of().formatHex(sha256().digest(body));
        try (RelayServer toCounter = relayTo(URI.create("http://127.0.0.1:" + counter.getAddress().getPort()));
                Client client = new Client(toCounter.listenAddress())) {
            client.write("POST /upload HTTP/1.1\r\nHost: tower\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n");
            client.write(body);
            Answer answer = client.answer();
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.text()).isEqualTo(expected);
        } finally {
            counter.stop(0);
        }
    }

    // ---- 10. a client leaving mid-answer ----

    @Test
    void clientsThatLeaveWhileTheUpstreamIsStillAnsweringDoNotStopTheRelay() throws Exception {
        // /slow: the head and a first chunk, then nothing more (the upstream keeps the connection open). Else a
        // whole answer that closes its upstream connection, so that none is pooled and reused.
        try (RawHttp.ScriptedUpstream upstream = new RawHttp.ScriptedUpstream(head -> head.startsWith("GET /slow")
                        ? RawHttp.bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + "5\r\nfirst\r\n")
                        : RawHttp.bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfast"), true);
                RelayServer toUpstream = relayTo(upstream.uri())) {
            // One client closes its socket (FIN), the other vanishes (RST), both with the answer half sent.
            for (boolean reset : new boolean[] {false, true}) {
                try (Client leaving = new Client(toUpstream.listenAddress())) {
                    leaving.write(get("/slow?reset=" + reset));
                    String head = leaving.head();
                    assertThat(head).startsWith("HTTP/1.1 200 ");
                    assertThat(RawHttp.line(leaving.in())).isEqualTo("5");
                    assertThat(RawHttp.line(leaving.in())).isEqualTo("first");
                    if (reset) {
                        leaving.resetOnClose();
                    }
                }
                try (Client next = new Client(toUpstream.listenAddress())) {
                    next.write(get("/fast?after-reset=" + reset));
                    Answer answer = next.answer();
                    assertThat(answer.status()).as("a new client after one that left (reset: %s)", reset).isEqualTo(200);
                    assertThat(answer.text()).isEqualTo("fast");
                }
            }
        }
    }

    // ---- helpers ----

    private static RelayServer relayTo(URI upstream) throws IOException {
        return RelayServer.start(RelayConfig.defaults()
                        .withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).withAdmin(null)
                        .withUpstream(upstream)
                        .withShutdownGrace(org.apache.hc.core5.util.Timeout.ofSeconds(2)),
                new PrintStream(new ByteArrayOutputStream(), true, UTF_8));
    }

    private static String get(String target) {
        return "GET " + target + " HTTP/1.1\r\nHost: tower\r\n\r\n";
    }

    /**
     * An upstream that answers {@code proxied <target>} half a second after each request head, then closes (so no
     * upstream connection is reused). The delay runs on the upstream's thread, never the test's.
     */
    private static RawHttp.ScriptedUpstream slowUpstream() throws IOException {
        return new RawHttp.ScriptedUpstream(head -> {
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String body = "proxied " + head.split(" ")[1];
            return RawHttp.bytes("HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\nConnection: close\r\n\r\n"
                    + body);
        }, false);
    }

    private static String bodyNumber(int n) {
        return ("body number " + n + " ").repeat(100 * n);
    }

    private static JsonNode echo(Answer answer) throws IOException {
        return JSON.readTree(answer.body());
    }

    private static void assertPingServedOnANewConnection() throws IOException {
        try (Client after = new Client(relay.listenAddress())) {
            after.write(get(PING));
            assertThat(after.answer().status()).isEqualTo(200);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One response: status, raw head, headers by lower-case name, and the body bytes. */
    private record Answer(int status, String head, Map<String, String> headers, byte[] body) {
        String header(String lowerCaseName) {
            return headers.get(lowerCaseName);
        }

        String text() {
            return new String(body, UTF_8);
        }
    }

    /** A plain client socket whose every read has a deadline. */
    private static final class Client implements AutoCloseable {
        private static final Pattern STATUS_LINE = Pattern.compile("HTTP/1\\.[01] (\\d{3})[ \\r].*", Pattern.DOTALL);
        private static final int READ_TIMEOUT_MILLIS = 20_000;

        private final Socket socket = new Socket();

        Client(InetSocketAddress address) throws IOException {
            socket.connect(address, 10_000);
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        }

        InputStream in() throws IOException {
            return socket.getInputStream();
        }

        void write(String text) throws IOException {
            write(text.getBytes(ISO_8859_1));
        }

        void write(byte[] bytes) throws IOException {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }

        void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        /** Makes {@link #close()} send a TCP reset: a client that vanishes rather than hangs up. */
        void resetOnClose() throws IOException {
            socket.setSoLinger(true, 0);
        }

        /** The next response head, up to and including its empty line. */
        String head() throws IOException {
            return RawHttp.head(in());
        }

        /** The next whole response; its first bytes must be a status line (no stray bytes of an earlier answer). */
        Answer answer() throws IOException {
            String head = head();
            Matcher status = STATUS_LINE.matcher(head);
            assertThat(status.matches()).as("a status line starts the answer; got:%n%s", head).isTrue();
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && !line.startsWith("HTTP/")) {
                    headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            line.substring(colon + 1).trim(), (a, b) -> a + ", " + b);
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                for (int size; (size = Integer.parseInt(RawHttp.line(in()).split(";")[0].trim(), 16)) > 0; ) {
                    body.write(in().readNBytes(size));
                    RawHttp.line(in());
                }
                while (!RawHttp.line(in()).isEmpty()) {
                    // trailer fields
                }
            } else if (headers.containsKey("content-length")) {
                int length = Integer.parseInt(headers.get("content-length"));
                byte[] bytes = in().readNBytes(length);
                assertThat(bytes).as("body of %s", head).hasSize(length);
                body.write(bytes);
            }
            return new Answer(Integer.parseInt(status.group(1)), head, headers, body.toByteArray());
        }

        /**
         * Whatever else comes until the relay closes the connection (EOF, or a reset after it): fails if the
         * connection is still open after the read deadline.
         */
        String restUntilClosed() throws IOException {
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = in().read(buffer)) >= 0; ) {
                    rest.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException stillOpen) {
                throw new AssertionError("the relay kept the connection open for " + READ_TIMEOUT_MILLIS
                        + " ms; read meanwhile: " + rest.toString(ISO_8859_1), stillOpen);
            } catch (java.net.SocketException reset) {
                // closed by a reset after the answer: closed all the same
            }
            return rest.toString(ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

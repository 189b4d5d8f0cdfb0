package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the relay makes of each kind of answer an upstream may give, byte for byte from a scripted upstream: the
 * framings (length, chunked with trailers, until close), informational answers, answers that end the connection,
 * answers that come before the request's body is all sent, and heads the relay must refuse with a 502 while it
 * keeps serving. Each test also checks whether the upstream connection was used again when it may be, and only then.
 */
class UpstreamAnswersIT {
    private ScriptedUpstream upstream;
    private RelayServer relay;

    @AfterEach
    void stop() throws IOException {
        if (relay != null) {
            relay.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private InetSocketAddress start(Function<String, String> answer) throws IOException {
        upstream = new ScriptedUpstream(answer);
        RelayConfig config = RelayConfig.defaults().withListen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withAdmin(null).withUpstream(URI.create("http://127.0.0.1:" + upstream.port()))
                .withShutdownGrace(Timeout.ofSeconds(1));
        relay = RelayServer.start(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        return relay.listenAddress();
    }

    @Test
    void chunkedAnswerReachesTheClientWithItsTrailersAndTheConnectionIsReused() throws Exception {
        InetSocketAddress relayAddress = start(request -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                + "Trailer: X-Checksum\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc123\r\n\r\n");
        try (Socket client = connect(relayAddress)) {
            for (int i = 0; i < 3; i++) {
                RawHttp.send(client, "GET /api/v2/jobs/ HTTP/1.1\r\nHost: tower\r\nTE: trailers\r\n\r\n");
                String raw = readChunkedAnswer(client.getInputStream());
                assertThat(raw).startsWith("HTTP/1.1 200").contains("hello").contains(" world")
                        .containsIgnoringCase("X-Checksum: abc123");
            }
        }
        assertThat(upstream.connections()).as("upstream connections for three requests").isEqualTo(1);
    }

    @Test
    void informationalAnswersBeforeTheFinalOneAreNotPassedOn() throws Exception {
        InetSocketAddress relayAddress = start(request -> "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        RawHttp.Response response = RawHttp.exchange(relayAddress, "GET / HTTP/1.1\r\nHost: tower\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("ok");
        assertThat(response.head()).doesNotContain("103").doesNotContain("Link:");
    }

    @Test
    void answerThatEndsWithTheConnectionIsWholeAndTheConnectionIsNotReused() throws Exception {
        InetSocketAddress relayAddress = start(request -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                + "x".repeat(100_000) + ScriptedUpstream.CLOSE);
        for (int i = 0; i < 2; i++) {
            RawHttp.Response response = RawHttp.exchange(relayAddress, "GET /stdout HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).hasSize(100_000);
        }
        assertThat(upstream.connections()).isEqualTo(2);
    }

    /**
     * Answers of several MiB in each framing, to a client that first reads nothing (the relay's window fills and it
     * stops reading the upstream), then reads on: every byte arrives in order, and after an answer of known length
     * the upstream connection serves the next request, so no byte of it was taken as the body's.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Content-Length", "chunked", "until close"})
    void largeAnswersArriveWholeThroughAClientThatStallsFirst(String framing) throws Exception {
        String body = pattern(3 * 1024 * 1024 + 17);
        InetSocketAddress relayAddress = start(request -> switch (framing) {
            case "Content-Length" -> "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            case "chunked" -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body, 700_001) + "0\r\n\r\n";
            default -> "HTTP/1.1 200 OK\r\n\r\n" + body + ScriptedUpstream.CLOSE;
        });
        try (Socket client = connect(relayAddress)) {
            for (int i = 0; i < 2; i++) {
                RawHttp.send(client, "GET /api/v2/jobs/1/stdout/ HTTP/1.1\r\nHost: tower\r\n\r\n");
                Thread.sleep(300);
                RawHttp.Response response = RawHttp.read(client.getInputStream());
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.body().length()).as("request %d", i + 1).isEqualTo(body.length());
                assertThat(response.body().equals(body)).as("request %d: the bytes as sent", i + 1).isTrue();
            }
        }
        assertThat(upstream.connections()).isEqualTo(framing.equals("until close") ? 2 : 1);
    }

    /** Letters in a sequence that does not repeat at any power of two, so a byte out of place shows. */
    private static String pattern(int length) {
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append((char) ('a' + (i * 7 + i / 1013) % 26));
        }
        return text.toString();
    }

    private static String chunked(String body, int chunkSize) {
        StringBuilder text = new StringBuilder(body.length() + 64);
        for (int at = 0; at < body.length(); at += chunkSize) {
            String chunk = body.substring(at, Math.min(body.length(), at + chunkSize));
            text.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        return text.toString();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/1.0 without keep-alive", "Connection: close"})
    void anAnswerThatClosesTheConnectionIsHonoured(String kind) throws Exception {
        String head = kind.startsWith("HTTP/1.0") ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\nConnection: close\r\n";
        InetSocketAddress relayAddress = start(request -> head + "Content-Length: 2\r\n\r\nok" + ScriptedUpstream.CLOSE);
        try (Socket client = connect(relayAddress)) {
            for (int i = 0; i < 3; i++) {
                RawHttp.send(client, "GET / HTTP/1.1\r\nHost: tower\r\n\r\n");
                RawHttp.Response response = RawHttp.read(client.getInputStream());
                assertThat(response.status()).as("request %d", i + 1).isEqualTo(200);
                assertThat(response.body()).isEqualTo("ok");
                // The client's connection stays open, its answer HTTP/1.1 whatever the upstream spoke.
                assertThat(response.head()).as("request %d", i + 1).startsWith("HTTP/1.1 200 OK\r\n")
                        .doesNotContainIgnoringCase("Connection: close");
            }
        }
        assertThat(upstream.connections()).isEqualTo(3);
    }

    @Test
    void noContentAndNotModifiedEndAtTheirHeadAndTheConnectionIsReused() throws Exception {
        AtomicInteger n = new AtomicInteger();
        InetSocketAddress relayAddress = start(request -> n.incrementAndGet() % 2 == 1
                ? "HTTP/1.1 204 No Content\r\n\r\n"
                : "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 1234\r\n\r\n");
        try (Socket client = connect(relayAddress)) {
            for (int i = 0; i < 4; i++) {
                RawHttp.send(client, "GET /api/v2/settings/ HTTP/1.1\r\nHost: tower\r\n\r\n");
                // No body follows either head: a 304's Content-Length describes the cached copy.
                String head = RawHttp.head(client.getInputStream());
                assertThat(head).startsWith(i % 2 == 0 ? "HTTP/1.1 204" : "HTTP/1.1 304");
            }
        }
        assertThat(upstream.connections()).isEqualTo(1);
    }

    @Test
    void bytesAfterTheAnswerMakeTheConnectionUnusable() throws Exception {
        InetSocketAddress relayAddress = start(request -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE");
        for (int i = 0; i < 3; i++) {
            RawHttp.Response response = RawHttp.exchange(relayAddress, "GET / HTTP/1.1\r\nHost: tower\r\n\r\n");
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("ok");
        }
        assertThat(upstream.connections()).isEqualTo(3);
    }

    @Test
    void anAnswerBeforeTheRequestBodyIsAllSentReachesTheClient() throws Exception {
        InetSocketAddress relayAddress = start(request -> "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 8\r\n\r\ntoo big!"
                + ScriptedUpstream.CLOSE);
        try (Socket client = connect(relayAddress)) {
            // The head and a first part of a large body; the rest never comes.
            RawHttp.send(client, "POST /api/v2/job_templates/7/launch/ HTTP/1.1\r\nHost: tower\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{\"extra_vars\":");
            RawHttp.Response response = RawHttp.read(client.getInputStream());
            assertThat(response.status()).isEqualTo(413);
            assertThat(response.body()).isEqualTo("too big!");
        }
        // The relay serves the next request as usual.
        upstream.answer(request -> "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(RawHttp.exchange(relayAddress, "GET / HTTP/1.1\r\nHost: tower\r\n\r\n").status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: a\rInjected: 1\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: a\nInjected: 1\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok",
        "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok",
        "ICY 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        "HUGE",
    })
    void aMalformedAnswerIsA502AndTheRelayKeepsServing(String answer) throws Exception {
        String sent = answer.equals("HUGE")
                ? "HTTP/1.1 200 OK\r\n" + ("X-Big: " + "b".repeat(1000) + "\r\n").repeat(70) + "Content-Length: 2\r\n\r\nok"
                : answer;
        InetSocketAddress relayAddress = start(request -> request.startsWith("GET /good")
                ? "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood" : sent + ScriptedUpstream.CLOSE);
        // A chunked body whose framing breaks in the bytes read with the head: the head was not sent yet, so the
        // client gets a 502 rather than a cut 200.
        RawHttp.Response bad = RawHttp.exchange(relayAddress, "GET /bad HTTP/1.1\r\nHost: tower\r\n\r\n");
        assertThat(bad.status()).isEqualTo(502);
        assertThat(bad.head()).doesNotContain("Injected");
        RawHttp.Response good = RawHttp.exchange(relayAddress, "GET /good HTTP/1.1\r\nHost: tower\r\n\r\n");
        assertThat(good.status()).isEqualTo(200);
        assertThat(good.body()).isEqualTo("good");
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        Socket socket = new Socket();
        socket.connect(address, 10_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    /** A chunked answer as raw text, trailers included, read to its last empty line. */
    private static String readChunkedAnswer(InputStream in) throws IOException {
        StringBuilder raw = new StringBuilder(RawHttp.head(in));
        for (;;) {
            String sizeLine = RawHttp.line(in);
            raw.append(sizeLine).append("\r\n");
            int size = Integer.parseInt(sizeLine.split(";")[0].trim(), 16);
            if (size == 0) {
                for (String t = RawHttp.line(in); ; t = RawHttp.line(in)) {
                    raw.append(t).append("\r\n");
                    if (t.isEmpty()) {
                        return raw.toString();
                    }
                }
            }
            raw.append(new String(in.readNBytes(size), StandardCharsets.ISO_8859_1));
            raw.append(RawHttp.line(in)).append("\r\n");
        }
    }

    /**
     * An upstream that answers each request with the text its script gives for the request's head, on as many
     * connections as it is given; {@link #CLOSE} at the end of an answer closes the connection after it.
     */
    static final class ScriptedUpstream implements AutoCloseable {
        static final String CLOSE = "\u0000close";

        private final ServerSocket server;
        private final AtomicInteger connections = new AtomicInteger();
        private volatile Function<String, String> script;

        ScriptedUpstream(Function<String, String> script) throws IOException {
            this.script = script;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accepter = new Thread(this::accept, "scripted-upstream");
            accepter.setDaemon(true);
            accepter.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int connections() {
            return connections.get();
        }

        void answer(Function<String, String> next) {
            script = next;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread t = new Thread(() -> serve(s), "scripted-upstream-connection");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                for (;;) {
                    String head = RawHttp.head(in);
                    String answer = script.apply(head);
                    boolean close = answer.endsWith(CLOSE);
                    if (close) {
                        answer = answer.substring(0, answer.length() - CLOSE.length());
                    }
                    out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    if (close) {
                        s.shutdownOutput();
                        in.transferTo(OutputStream.nullOutputStream());
                        return;
                    }
                    skipBody(head, in);
                }
            } catch (IOException e) {
                // the relay closed the connection
            }
        }

        private static void skipBody(String head, InputStream in) throws IOException {
            String length = RawHttp.headerOf(head, "Content-Length");
            if (length != null) {
                in.readNBytes(Integer.parseInt(length.trim()));
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}

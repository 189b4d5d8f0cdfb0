package io.towerrelay.h2;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 abuse against the relay's TLS listener, each from a raw client in a bounded loop: the relay ends the
 * abusive connection after a bounded amount of work (so its memory for it is bounded) and keeps serving a
 * bystander on another connection. Loopback only.
 */
class H2AttacksIT {
    private static final int ENHANCE_YOUR_CALM = 0xb;
    private static final int REFUSED_STREAM = 0x7;
    private static final int CANCEL = 0x8;

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static MockTower tower;
    static RelayServer relay;
    static HttpClient bystander;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create(dir);
        tower = MockTower.start(MockTowerOptions.ephemeral());
        relay = TlsRelays.start(TlsRelays.config(certs, tower.hostAndPort()));
        bystander = HttpClient.newBuilder().sslContext(certs.clientContext()).version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(10)).build();
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

    private static RawH2Client client() throws Exception {
        return new RawH2Client(relay.listenAddress(), certs.clientContext());
    }

    /** A client on its own connection is answered while (and after) the abuse happened. */
    private static void bystanderIsServed() throws Exception {
        HttpResponse<String> r = bystander.send(HttpRequest.newBuilder(
                URI.create("https://localhost:" + relay.listenAddress().getPort() + "/api/v2/ping/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    private static RawH2Client.Frame goAway(RawH2Client c) throws InterruptedException {
        for (RawH2Client.Frame f; (f = c.nextInBackground()) != null; ) {
            if (f.type() == RawH2Client.GOAWAY) {
                return f;
            }
        }
        return null;
    }

    private static int towerRequests(String path) {
        return (int) tower.receivedRequests().stream().filter(r -> r.path().equals(path)).count();
    }

    @Test
    void theRelayAnnouncesItsLimitsAndNoWebSocketsOverHttp2() throws Exception {
        try (RawH2Client c = client()) {
            c.flush();
            RawH2Client.Frame settings = c.readUntil(RawH2Client.SETTINGS);
            assertThat(settings).isNotNull();
            assertThat(settings.settings())
                    .containsEntry(3, 100L)       // MAX_CONCURRENT_STREAMS
                    .containsEntry(4, 65_536L)    // INITIAL_WINDOW_SIZE: the relay's per-direction buffer
                    .containsEntry(5, 16_384L)    // MAX_FRAME_SIZE
                    .containsKey(6)               // MAX_HEADER_LIST_SIZE
                    .doesNotContainKey(8);        // ENABLE_CONNECT_PROTOCOL (RFC 8441): never offered
        }
    }

    /** CVE-2023-44487: streams opened and reset at once, each costing the server a request it then abandons. */
    @Test
    void rapidResetEndsTheConnectionAfterABoundedNumberOfStreams() throws Exception {
        int before = towerRequests("/api/v2/mock/echo/");
        int sent = 0;
        RawH2Client.Frame goAway;
        try (RawH2Client c = client()) {
            c.flush();
            c.readInBackground();
            try {
                for (int i = 0; i < 5_000; i++) {
                    int stream = 2 * i + 1;
                    c.get(stream, "/api/v2/mock/echo/");
                    c.frame(RawH2Client.RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(CANCEL).array());
                    sent++;
                    if (i % 50 == 49) {
                        c.flush();
                    }
                }
                c.flush();
            } catch (IOException cut) {
                // the relay closed the connection while we were still sending
            }
            goAway = goAway(c);
        }
        assertThat(goAway).as("GOAWAY after %d resets", sent).isNotNull();
        assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
        // At most the reset allowance reached Tower; the rest of the 5,000 never did.
        assertThat(towerRequests("/api/v2/mock/echo/") - before).isLessThanOrEqualTo(300);
        bystanderIsServed();
    }

    /** CVE-2024-27316 class: a header block that never ends, in many CONTINUATION frames. */
    @Test
    void continuationFloodIsCutOffAtTheHeaderBlockLimit() throws Exception {
        byte[] fragment = new byte[1_000];
        Arrays.fill(fragment, (byte) 0x40); // junk: it must not matter, the block is never completed
        int frames = 0;
        RawH2Client.Frame goAway;
        try (RawH2Client c = client()) {
            c.flush();
            c.readInBackground();
            try {
                c.frame(RawH2Client.HEADERS, 0, 1, c.requestHead("GET", "/api/v2/ping/"));
                for (; frames < 20_000; frames++) {
                    c.frame(RawH2Client.CONTINUATION, 0, 1, fragment);
                }
                c.flush();
            } catch (IOException cut) {
                // closed by the relay mid-flood
            }
            goAway = goAway(c);
        }
        assertThat(goAway).isNotNull();
        assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
        bystanderIsServed();
    }

    @Test
    void emptyContinuationFramesAreCutOffToo() throws Exception {
        RawH2Client.Frame goAway;
        try (RawH2Client c = client()) {
            c.flush();
            c.readInBackground();
            try {
                c.frame(RawH2Client.HEADERS, 0, 1, c.requestHead("GET", "/api/v2/ping/"));
                for (int i = 0; i < 100_000; i++) {
                    c.frame(RawH2Client.CONTINUATION, 0, 1, new byte[0]);
                }
                c.flush();
            } catch (IOException cut) {
                // closed by the relay mid-flood
            }
            goAway = goAway(c);
        }
        assertThat(goAway).as("the relay ends a header block of endless empty CONTINUATION frames").isNotNull();
        bystanderIsServed();
    }

    /** Each PING (and SETTINGS) makes the relay queue an answer; a client that never reads them fills memory. */
    @Test
    void pingFloodEndsTheConnection() throws Exception {
        floodEndsTheConnection(RawH2Client.PING, new byte[8]);
    }

    @Test
    void settingsFloodEndsTheConnection() throws Exception {
        floodEndsTheConnection(RawH2Client.SETTINGS, new byte[0]);
    }

    private static void floodEndsTheConnection(int type, byte[] payload) throws Exception {
        RawH2Client.Frame goAway;
        int acks = 0;
        try (RawH2Client c = client()) {
            c.flush();
            c.readInBackground();
            try {
                for (int i = 0; i < 100_000; i++) {
                    c.frame(type, 0, 0, payload);
                }
                c.flush();
            } catch (IOException cut) {
                // closed by the relay mid-flood
            }
            goAway = null;
            for (RawH2Client.Frame f; (f = c.nextInBackground()) != null; ) {
                if (f.type() == type && (f.flags() & 1) != 0) {
                    acks++;
                } else if (f.type() == RawH2Client.GOAWAY) {
                    goAway = f;
                    break;
                }
            }
        }
        assertThat(goAway).isNotNull();
        assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
        assertThat(acks).as("answers queued for the flood").isLessThanOrEqualTo(300);
        bystanderIsServed();
    }

    @Test
    void streamsBeyondMaxConcurrentStreamsAreRefusedAndTheOthersServed() throws Exception {
        try (RawH2Client c = client()) {
            c.flush();
            c.readUntil(RawH2Client.SETTINGS);
            c.settingsAck();
            // 101 requests whose bodies never come: all stay open at once.
            for (int i = 0; i < 101; i++) {
                c.frame(RawH2Client.HEADERS, RawH2Client.END_HEADERS, 2 * i + 1,
                        c.requestHead("POST", "/api/v2/mock/echo/", "content-length", "5"));
            }
            c.flush();
            RawH2Client.Frame reset = c.readUntil(RawH2Client.RST_STREAM);
            assertThat(reset).isNotNull();
            assertThat(reset.streamId()).isEqualTo(201);
            assertThat(reset.errorCode()).isEqualTo(REFUSED_STREAM);
            // The first stream is still served once its body arrives.
            c.frame(RawH2Client.DATA, RawH2Client.END_STREAM, 1, "hello".getBytes(StandardCharsets.US_ASCII));
            c.flush();
            RawH2Client.Frame headers;
            do {
                headers = c.readUntil(RawH2Client.HEADERS);
            } while (headers != null && headers.streamId() != 1);
            assertThat(headers).isNotNull();
        }
        bystanderIsServed();
    }

    /** Headers over limits.max-header-bytes get 431 on their stream; the connection keeps serving. */
    @Test
    void oversizedHeadersGet431AndTheConnectionStaysUsable() throws Exception {
        try (RawH2Client c = client()) {
            c.flush();
            byte[] block = c.requestHead("GET", "/api/v2/ping/", "x-filler", "f".repeat(15_000),
                    "x-filler2", "g".repeat(15_000), "x-filler3", "h".repeat(5_000));
            c.frame(RawH2Client.HEADERS, RawH2Client.END_STREAM, 1, Arrays.copyOfRange(block, 0, 16_000));
            for (int at = 16_000; at < block.length; at += 16_000) {
                int end = Math.min(block.length, at + 16_000);
                c.frame(RawH2Client.CONTINUATION, end == block.length ? RawH2Client.END_HEADERS : 0, 1,
                        Arrays.copyOfRange(block, at, end));
            }
            c.get(3, "/api/v2/ping/");
            c.flush();
            int first = -1;
            int second = -1;
            for (RawH2Client.Frame f; (first < 0 || second < 0) && (f = c.read()) != null; ) {
                if (f.type() == RawH2Client.HEADERS) {
                    int status = c.status(f);
                    if (f.streamId() == 1) {
                        first = status;
                    } else if (f.streamId() == 3) {
                        second = status;
                    }
                }
            }
            assertThat(first).isEqualTo(431);
            assertThat(second).isEqualTo(200);
        }
    }
}

package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.testsupport.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.java_websocket.enums.Opcode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Real Java-WebSocket peers on both sides of the relay: what a Tower UI and Tower's Daphne would see. */
class WebSocketTunnelIT {

    private static EchoUpstream upstream;
    private static TestRelay relay;

    @BeforeAll
    static void start() throws Exception {
        upstream = new EchoUpstream(null);
        relay = new TestRelay(TestRelay.config(upstream.uri("http")));
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
        upstream.shutdown();
    }

    @Test
    void textAndBinaryMessagesGoBothWays() throws Exception {
        TestClient client = TestClient.connect(relay.uri("ws", "/websocket/?messages"), null);
        client.send("hello tower");
        assertThat(client.next()).isEqualTo("hello tower");
        byte[] binary = {0, 1, 2, (byte) 0xff, 10, 13};
        client.send(binary);
        assertThat((byte[]) client.next()).isEqualTo(binary);
        assertThat(upstream.handshake("/websocket/?messages")).containsEntry("upgrade", "websocket");
        client.closeBlocking();
    }

    @Test
    void sixteenMegabyteMessageArrivesWhole() throws Exception {
        TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
        byte[] big = new byte[16 * 1024 * 1024];
        new Random(42).nextBytes(big);
        client.send(big);
        assertThat(Arrays.equals((byte[]) client.next(), big)).as("16 MiB echoed byte for byte").isTrue();
        client.closeBlocking();
    }

    @Test
    void fragmentedMessageIsReassembledByTheUpstream() throws Exception {
        TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
        client.sendFragmentedFrame(Opcode.TEXT, ByteBuffer.wrap("job ".getBytes(StandardCharsets.UTF_8)), false);
        client.sendFragmentedFrame(Opcode.TEXT, ByteBuffer.wrap("events ".getBytes(StandardCharsets.UTF_8)), false);
        client.sendFragmentedFrame(Opcode.TEXT, ByteBuffer.wrap("live".getBytes(StandardCharsets.UTF_8)), true);
        assertThat(client.next()).isEqualTo("job events live");
        client.closeBlocking();
    }

    @Test
    void pingsArePongedBothWays() throws Exception {
        TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
        assertThat(client.nextEvent()).startsWith("open 101");
        client.sendPing();
        assertThat(client.nextEvent()).isEqualTo("pong");
        upstream.events.clear();
        client.send("ping"); // the upstream pings the client, whose pong must reach the upstream
        await().atMost(Duration.ofSeconds(20)).until(() -> upstream.events.contains("pong"));
        client.closeBlocking();
    }

    @Test
    void closeCodeAndReasonTravelFromClientToUpstream() throws Exception {
        // An upstream that decodes the close frame itself: Java-WebSocket's server sometimes reports 1006 for a
        // client-initiated close even when connected directly (a race inside it), which would make this flaky.
        try (FramingEchoUpstream tower = new FramingEchoUpstream();
             TestRelay echoRelay = new TestRelay(TestRelay.config(tower.uri("http")))) {
            TestClient client = TestClient.connect(echoRelay.uri("ws", "/websocket/"), null);
            client.close(4001, "client says bye");
            assertThat(tower.closes.poll(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("close 4001 client says bye");
            assertThat(client.nextEvent()).startsWith("open");
            assertThat(client.nextEvent()).isEqualTo("close 4001 client says bye remote=false");
        }
    }

    @Test
    void aClientThatShutsItsOutputStillGetsWhatTheUpstreamSendsAfterwards() throws Exception {
        // A WebSocket client may shut its output after its Close frame and wait for the server's Close frame:
        // the relay passes the half-close on and keeps the other direction open until the upstream ends it too.
        try (ServerSocket tower = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             TestRelay halfCloseRelay = new TestRelay(TestRelay.config(
                     URI.create("http://127.0.0.1:" + tower.getLocalPort())))) {
            Thread upstreamSide = new Thread(() -> {
                try (Socket connection = tower.accept()) {
                    InputStream in = connection.getInputStream();
                    String request = RawHttp.head(in);
                    connection.getOutputStream().write(RawHttp.bytes("HTTP/1.1 101 Switching Protocols\r\n"
                            + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
                            + RawHttp.accept(RawHttp.headerOf(request, "Sec-WebSocket-Key")) + "\r\n\r\n"));
                    long received = in.transferTo(OutputStream.nullOutputStream()); // until the client's end
                    connection.getOutputStream().write(RawHttp.bytes("upstream read " + received + " bytes, then the end"));
                } catch (IOException ignored) {
                    // the client side's assertion says what went wrong
                }
            }, "half-close-upstream");
            upstreamSide.setDaemon(true);
            upstreamSide.start();
            try (Socket socket = new Socket("127.0.0.1", halfCloseRelay.address.getPort())) {
                socket.setSoTimeout(10_000);
                RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
                InputStream in = socket.getInputStream();
                assertThat(RawHttp.head(in)).startsWith("HTTP/1.1 101");
                socket.getOutputStream().write(new byte[] {(byte) 0x88, (byte) 0x80, 1, 2, 3, 4}); // masked Close
                socket.shutdownOutput();
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII))
                        .isEqualTo("upstream read 6 bytes, then the end");
            }
        }
    }

    @Test
    void closeCodeAndReasonTravelFromUpstreamToClient() throws Exception {
        TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
        assertThat(client.nextEvent()).startsWith("open");
        client.send("close:4002:tower restarts");
        assertThat(client.nextEvent()).isEqualTo("close 4002 tower restarts remote=true");
    }

    @Test
    void clientVanishingClosesTheUpstreamSide() throws Exception {
        TestClient client = TestClient.connect(relay.uri("ws", "/api/websocket/"), null);
        client.send("still here");
        assertThat(client.next()).isEqualTo("still here");
        upstream.events.clear();
        client.getSocket().close(); // no close frame: the TCP connection just goes
        await().atMost(Duration.ofSeconds(20)).until(() -> upstream.events.stream().anyMatch(e -> e.startsWith("close 1006")));
        await().atMost(Duration.ofSeconds(20)).until(() -> relay.logged("/api/websocket/", 101, "closed by client"));
    }

    @Test
    void upstreamVanishingClosesTheClientSide() throws Exception {
        TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
        assertThat(client.nextEvent()).startsWith("open");
        client.send("abort");
        assertThat(client.nextEvent()).startsWith("close 1006");
    }

    @Test
    void firefoxConnectionHeaderAndMixedCaseUpgradeOpenATunnel() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/?firefox", "keep-alive, Upgrade", "WebSocket"));
            InputStream in = socket.getInputStream();
            String head = RawHttp.head(in);
            assertThat(head).startsWith("HTTP/1.1 101");
            assertThat(RawHttp.headerOf(head, "Sec-WebSocket-Accept")).isEqualTo(RawHttp.accept("dGhlIHNhbXBsZSBub25jZQ=="));
            assertThat(RawHttp.headerOf(head, "Upgrade")).isEqualToIgnoringCase("websocket");
        }
        // What the upstream saw: a clean upgrade, Host kept, the client's address forwarded.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(upstream.handshake("/websocket/?firefox"))
                .containsEntry("upgrade", "websocket").containsEntry("connection", "Upgrade")
                .containsEntry("host", "tower.example.test").containsEntry("x-forwarded-for", "127.0.0.1"));
    }

    @Test
    void customHeadersAndSubprotocolSurvive() throws Exception {
        TestClient client = new TestClient(relay.uri("ws", "/websocket/?job=7"),
                Map.of("Cookie", "awx_sessionid=abc; csrftoken=xyz", "Origin", "http://tower.example.test"), null);
        assertThat(client.connectBlocking(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(upstream.handshake("/websocket/?job=7"))
                .containsEntry("cookie", "awx_sessionid=abc; csrftoken=xyz")
                .containsEntry("origin", "http://tower.example.test")
                .containsKey("sec-websocket-key"));
        client.closeBlocking();
    }

    @Test
    void awxNodeToNodePathsAreRefusedAtTheEdge() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/relay/", "Upgrade", "websocket"));
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertThat(response.status()).isEqualTo(403);
            // The connection stays HTTP: the next request is proxied (this upstream speaks only WebSocket: 404).
            RawHttp.send(socket, "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower.example.test\r\n\r\n");
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(404);
        }
        // Access-log lines are written by the log thread, just after the answer.
        await().atMost(Duration.ofSeconds(10)).until(() -> relay.logged("/websocket/relay/", 403, null));
    }
}

package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.testsupport.RawHttp;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every handshake that does not end in a tunnel: the client gets a normal HTTP answer and its connection
 * keeps serving HTTP (never a tunnel on a 4xx/2xx: WebSocket smuggling).
 */
class HandshakeAnswersIT {

    @ParameterizedTest(name = "upstream answers {0} ({1})")
    @CsvSource({
            "403, 'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\r\nno session cookie'",
            "404, 'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n4\r\nnot \r\n5\r\nfound\r\n0\r\n\r\n'",
            "426, 'HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nupgrade required'",
            "200, 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 12\r\nUpgrade: websocket\r\n\r\n<html></html'",
    })
    void upstreamRefusalIsPassedBackAndTheConnectionStaysHttp(int status, String answer) throws Exception {
        // Upgrades get the refusal; plain requests (the follow-up) get "proxied <path>".
        try (RawHttp.ScriptedUpstream tower = new RawHttp.ScriptedUpstream(request -> RawHttp.headerOf(request, "Upgrade") != null
                ? RawHttp.bytes(answer) : RawHttp.plainAnswer(request), false);
             TestRelay relay = new TestRelay(TestRelay.config(tower.uri()));
             Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
            InputStream in = socket.getInputStream();
            RawHttp.Response response = RawHttp.read(in);
            assertThat(response.status()).isEqualTo(status);
            String expectedBody = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            if (status == 404) {
                expectedBody = "not found";
            }
            assertThat(response.body()).isEqualTo(expectedBody);
            assertThat(response.headers()).doesNotContainKey("upgrade");
            assertThat(response.headers().getOrDefault("connection", "")).doesNotContainIgnoringCase("upgrade");

            // The same client connection goes on as HTTP: the next request is proxied like any other.
            RawHttp.send(socket, "GET /api/v2/ping/ HTTP/1.1\r\nHost: tower.example.test\r\n\r\n");
            RawHttp.Response next = RawHttp.read(in);
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo("proxied /api/v2/ping/");
            // Access-log lines are written by the log thread, just after the answer.
            await().atMost(Duration.ofSeconds(10)).until(() -> relay.logged("/websocket/", status, null));
            assertThat(relay.logged("/websocket/", 101, null)).isFalse();
        }
    }

    @Test
    void firstMessageInTheSameWriteAsThe101Arrives() throws Exception {
        // One TCP write: the 101 head and a complete text frame "first event" (server frames are unmasked).
        byte[] frame = new byte[2 + 11];
        frame[0] = (byte) 0x81;
        frame[1] = 11;
        System.arraycopy(RawHttp.bytes("first event"), 0, frame, 2, 11);
        try (RawHttp.ScriptedUpstream tower = new RawHttp.ScriptedUpstream(request -> {
            String accept = RawHttp.accept(RawHttp.headerOf(request, "Sec-WebSocket-Key"));
            byte[] head = RawHttp.bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n");
            byte[] all = new byte[head.length + frame.length];
            System.arraycopy(head, 0, all, 0, head.length);
            System.arraycopy(frame, 0, all, head.length, frame.length);
            return all;
        }, true);
             TestRelay relay = new TestRelay(TestRelay.config(tower.uri()))) {
            TestClient client = TestClient.connect(relay.uri("ws", "/websocket/"), null);
            assertThat(client.next()).isEqualTo("first event");
            client.closeConnection(1000, "done");
        }
    }

    @Test
    void h2cUpgradeIsNeverForwarded() throws Exception {
        try (RawHttp.ScriptedUpstream tower = new RawHttp.ScriptedUpstream(
                request -> RawHttp.bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain"), false);
             TestRelay relay = new TestRelay(TestRelay.config(tower.uri()));
             Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/", "Upgrade, HTTP2-Settings", "h2c", "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"));
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            // Proxied as a plain request: the upstream sees no Upgrade, no HTTP2-Settings, and answers as HTTP.
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("plain");
            assertThat(tower.requests()).hasSize(1);
            String seen = tower.requests().get(0);
            assertThat(RawHttp.headerOf(seen, "Upgrade")).isNull();
            assertThat(RawHttp.headerOf(seen, "HTTP2-Settings")).isNull();
            assertThat(seen.toLowerCase()).doesNotContain("h2c");
            assertThat(relay.tunnelLog()).isEmpty();
        }
    }

    @Test
    void upstreamSwitchingToAnotherProtocolIsRefused() throws Exception {
        try (RawHttp.ScriptedUpstream tower = new RawHttp.ScriptedUpstream(
                request -> RawHttp.bytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"), true);
             TestRelay relay = new TestRelay(TestRelay.config(tower.uri()));
             Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(502);
        }
    }

    @Test
    void upstreamDownIs502AndTheConnectionStaysHttp() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        try (TestRelay relay = new TestRelay(TestRelay.config(URI.create("http://127.0.0.1:" + closedPort)));
             Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.body()).contains("refused");
            // Still HTTP on the same connection: the next request gets the proxy's own 502.
            RawHttp.send(socket, "GET /next HTTP/1.1\r\nHost: tower.example.test\r\n\r\n");
            RawHttp.Response next = RawHttp.read(socket.getInputStream());
            assertThat(next.status()).isEqualTo(502);
            assertThat(next.body()).contains("refused");
        }
    }

    @Test
    void silentUpstreamIs504() throws Exception {
        try (RawHttp.ScriptedUpstream tower = new RawHttp.ScriptedUpstream(request -> new byte[0], true);
             TestRelay relay = new TestRelay(TestRelay.withHandshakeTimeout(TestRelay.config(tower.uri()),
                     org.apache.hc.core5.util.Timeout.ofMilliseconds(500)));
             Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket"));
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(504);
        }
    }

    @Test
    void originAllowlistRefusesOtherOrigins() throws Exception {
        EchoUpstream tower = new EchoUpstream(null);
        try (TestRelay relay = new TestRelay(TestRelay.withAllowedOrigins(TestRelay.config(tower.uri("http")),
                Set.of("https://tower.example.test")));
             Socket socket = new Socket("127.0.0.1", relay.address.getPort())) {
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket", "Origin: https://evil.example"));
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(403);
            RawHttp.send(socket, RawHttp.upgradeRequest("/websocket/", "Upgrade", "websocket", "Origin: https://tower.example.test"));
            assertThat(RawHttp.head(socket.getInputStream())).startsWith("HTTP/1.1 101");
            await().atMost(Duration.ofSeconds(10)).until(() -> tower.events.contains("open /websocket/"));
        } finally {
            tower.shutdown();
        }
    }
}

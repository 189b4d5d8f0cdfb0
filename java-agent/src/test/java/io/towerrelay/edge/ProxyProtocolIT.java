package io.towerrelay.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.mock.HttpRequest;
import io.towerrelay.mock.MockTower;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code listen.proxy-protocol: true} end to end, with the mock Tower behind: what a v1 or v2 header carries is the
 * client Tower sees in X-Forwarded-For (and X-Forwarded-Port from its destination), the access log names it, on
 * plain and TLS listeners and for a WebSocket; a connection without a valid header, or from a peer that is not a
 * trusted proxy, is closed before Tower sees anything, and is not counted as a connection.
 */
class ProxyProtocolIT {
    /** The relays trust 127.0.0.1 only; tests connect from 127.0.0.2 to be an untrusted peer. */
    private static final InetAddress BALANCER = InetAddress.getLoopbackAddress();
    private static final InetAddress STRANGER = loopback("127.0.0.2");

    @TempDir
    static Path dir;
    private static ProxyProtocolRelays relays;
    private static MockTower tower;
    private static RelayServer plain;
    private static RelayServer tls;
    private static TestCertificates certs;
    private static ByteArrayOutputStream plainLog;
    private static ByteArrayOutputStream tlsLog;

    @BeforeAll
    static void start() throws Exception {
        relays = new ProxyProtocolRelays(dir, Timeout.ofSeconds(2));
        tower = relays.tower;
        plain = relays.plain;
        tls = relays.tls;
        certs = relays.certs;
        plainLog = relays.plainLog;
        tlsLog = relays.tlsLog;
    }

    @AfterAll
    static void stop() {
        if (relays != null) {
            relays.close();
        }
    }

    @ParameterizedTest(name = "v{0} over plain HTTP")
    @ValueSource(ints = {1, 2})
    void theHeadersClientIsWhatTowerAndTheAccessLogSee(int version) throws Exception {
        String path = "/api/v2/mock/echo/?plain-v" + version + "-" + UUID.randomUUID();
        try (Socket socket = connect(plain, BALANCER)) {
            socket.getOutputStream().write(header(version, "203.0.113.7", 40001 + version, 443));
            RawHttp.send(socket, get(path));
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertThat(response.status()).isEqualTo(200);
        }
        HttpRequest seen = towerSaw(path);
        assertThat(seen.header("X-Forwarded-For")).hasValue("203.0.113.7");
        assertThat(seen.header("X-Forwarded-Port")).hasValue("443"); // where the client connected: the balancer
        await().atMost(Duration.ofSeconds(10)).until(() -> ProxyProtocolRelays.accessLogLine(plainLog, path) != null);
        assertThat(ProxyProtocolRelays.accessLogLine(plainLog, path)).startsWith("203.0.113.7 ");
    }

    @ParameterizedTest(name = "v{0} over TLS")
    @ValueSource(ints = {1, 2})
    void theHeaderComesBeforeTheClientHelloOnATlsListener(int version) throws Exception {
        String path = "/api/v2/mock/echo/?tls-v" + version + "-" + UUID.randomUUID();
        try (Socket socket = connect(tls, BALANCER)) {
            socket.getOutputStream().write(header(version, "2001:db8::7", 50000, 8443));
            SSLSocket secure = (SSLSocket) certs.clientContext().getSocketFactory()
                    .createSocket(socket, "localhost", tls.listenAddress().getPort(), true);
            secure.startHandshake();
            RawHttp.send(secure, get(path));
            assertThat(RawHttp.read(secure.getInputStream()).status()).isEqualTo(200);
        }
        HttpRequest seen = towerSaw(path);
        assertThat(seen.header("X-Forwarded-For")).hasValue("2001:db8:0:0:0:0:0:7");
        assertThat(seen.header("X-Forwarded-Proto")).hasValue("https");
        await().atMost(Duration.ofSeconds(10)).until(() -> ProxyProtocolRelays.accessLogLine(tlsLog, path) != null);
        assertThat(ProxyProtocolRelays.accessLogLine(tlsLog, path)).startsWith("2001:db8:0:0:0:0:0:7 ");
    }

    @Test
    void aWebSocketThroughAProxyProtocolListenerNamesTheClient() throws Exception {
        String cookie;
        try (Socket socket = connect(plain, BALANCER)) {
            socket.getOutputStream().write(header(2, "198.51.100.23", 41000, 443));
            RawHttp.send(socket, get("/"));
            RawHttp.Response page = RawHttp.read(socket.getInputStream());
            cookie = page.headers().get("set-cookie").split(";")[0];
        }
        String path = "/websocket/";
        try (Socket socket = connect(plain, BALANCER)) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(header(2, "198.51.100.24", 41001, 443));
            RawHttp.send(socket, RawHttp.upgradeRequest(path, "Upgrade", "websocket", "Cookie: " + cookie));
            String head = RawHttp.head(socket.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 101");
            // The mock's first frame, {"accept": true, ...}: the tunnel carries bytes.
            InputStream in = socket.getInputStream();
            int opcode = in.read();
            int length = in.read();
            String first = new String(in.readNBytes(length & 0x7f), StandardCharsets.UTF_8);
            assertThat(opcode & 0x0f).isEqualTo(1);
            assertThat(first).contains("\"accept\"");
        }
        HttpRequest handshake = tower.receivedRequests().stream()
                .filter(r -> r.path().equals(path) && r.header("X-Forwarded-For").orElse("").equals("198.51.100.24"))
                .findFirst().orElse(null);
        assertThat(handshake).as("the handshake Tower saw came from the header's client").isNotNull();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            String line = ProxyProtocolRelays.accessLogLine(plainLog, "GET " + path + " ");
            return line != null && line.startsWith("198.51.100.24 ") && line.contains(" 101 ");
        });
    }

    @Test
    void aV2LocalHeaderIsTheBalancerItself() throws Exception {
        String path = "/api/v2/mock/echo/?local-" + UUID.randomUUID();
        try (Socket socket = connect(plain, BALANCER)) {
            socket.getOutputStream().write(ProxyHeaderParserTest.v2(0x20, 0x00, new byte[0]));
            RawHttp.send(socket, get(path));
            assertThat(RawHttp.read(socket.getInputStream()).status()).isEqualTo(200);
        }
        assertThat(towerSaw(path).header("X-Forwarded-For")).hasValue("127.0.0.1");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"no header", "malformed v1", "malformed v2", "header cut short", "untrusted peer"})
    void refusedConnectionsAreClosedAndTowerSeesNothing(String kind) throws Exception {
        for (RelayServer relay : List.of(plain, tls)) {
            String path = "/api/v2/mock/echo/?refused-" + UUID.randomUUID();
            byte[] request = RawHttp.bytes(get(path));
            byte[] sent = switch (kind) {
                case "no header" -> request;
                case "malformed v1" -> ProxyHeaderParserTest.concat(
                        RawHttp.bytes("PROXY TCP4 203.0.113.7 127.0.0.1 040000 443\r\n"), request);
                case "malformed v2" -> ProxyHeaderParserTest.concat(
                        ProxyHeaderParserTest.v2(0x21, 0x11, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 2, 4, 0, 9}),
                        request);
                case "header cut short" -> RawHttp.bytes("PROXY TCP4 203.0.113.7 127.0");
                default -> ProxyHeaderParserTest.concat(header(1, "203.0.113.7", 40000, 443), request);
            };
            long connectionsBefore = settledConnections(relay);
            if (kind.equals("untrusted peer")) {
                // Refused at accept: the reset can come before connect() or the write returns (on a loaded machine).
                try (Socket socket = connect(relay, STRANGER)) {
                    socket.getOutputStream().write(sent);
                    assertThat(readUntilClosed(socket)).as("bytes the relay sent back").isEmpty();
                } catch (java.net.SocketException resetBeforeTheWrite) {
                    // closed before anything was sent: nothing came back either
                }
            } else {
                try (Socket socket = connect(relay, BALANCER)) {
                    socket.getOutputStream().write(sent);
                    // "header cut short" waits for limits.header-timeout (2 s here); the others are closed at once.
                    assertThat(readUntilClosed(socket)).as("bytes the relay sent back").isEmpty();
                }
            }
            assertThat(tower.receivedRequests()).noneMatch(r -> r.target().equals(path));
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(relay.metrics().activeConnections())
                    .as("refused connections are not counted").isEqualTo(connectionsBefore));
        }
        // And the relays keep serving, on every I/O thread (connections are spread round-robin over them): a
        // connection closed while HttpCore5 was still setting it up once ended an I/O thread, and every later
        // connection given to that thread hung.
        for (int i = 0; i < 2 * Runtime.getRuntime().availableProcessors(); i++) {
            theHeadersClientIsWhatTowerAndTheAccessLogSee(1);
            theHeaderComesBeforeTheClientHelloOnATlsListener(2);
        }
    }

    /**
     * The relay's open connections once those of the steps before, closed by their clients, were seen closed by the
     * relay too (it counts a connection until its I/O thread has handled the close).
     */
    private static long settledConnections(RelayServer relay) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (relay.metrics().activeConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return relay.metrics().activeConnections();
    }

    private static Socket connect(RelayServer relay, InetAddress from) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(relay.listenAddress(), 10_000);
        socket.setSoTimeout(20_000);
        return socket;
    }

    /** Everything the relay sends until it closes; fails if it keeps the connection open for 20 s. */
    private static byte[] readUntilClosed(Socket socket) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            byte[] buffer = new byte[4096];
            for (int n; (n = socket.getInputStream().read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the relay kept the connection open; sent: " + out);
        } catch (IOException reset) {
            // closed with unread input: a reset is a close too
        }
        return out.toByteArray();
    }

    static byte[] header(int version, String client, int clientPort, int destinationPort) throws IOException {
        InetAddress source = InetAddress.getByName(client);
        boolean v6 = source.getAddress().length == 16;
        InetAddress destination = InetAddress.getByName(v6 ? "2001:db8::1" : "192.0.2.1");
        if (version == 1) {
            return RawHttp.bytes("PROXY " + (v6 ? "TCP6 " : "TCP4 ") + client + " " + destination.getHostAddress() + " "
                    + clientPort + " " + destinationPort + "\r\n");
        }
        byte[] ports = {(byte) (clientPort >> 8), (byte) clientPort, (byte) (destinationPort >> 8), (byte) destinationPort};
        byte[] tlv = {0x01, 0x00, 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1'}; // ALPN, as HAProxy may send
        return ProxyHeaderParserTest.v2(0x21, v6 ? 0x21 : 0x11,
                ProxyHeaderParserTest.concat(source.getAddress(), destination.getAddress(), ports, tlv));
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: tower.example.test\r\nConnection: close\r\n\r\n";
    }

    private static HttpRequest towerSaw(String pathAndQuery) {
        return tower.receivedRequests().stream()
                .filter(r -> r.target().equals(pathAndQuery))
                .findFirst().orElseThrow(() -> new AssertionError("Tower did not see " + pathAndQuery));
    }

    private static InetAddress loopback(String address) {
        try {
            return InetAddress.getByName(address);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}

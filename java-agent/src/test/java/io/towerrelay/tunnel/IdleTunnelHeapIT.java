package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.testsupport.HeapHistogram;
import io.towerrelay.testsupport.JarProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What an idle live-events socket costs the relay's heap, read the way an operator would: {@code jcmd
 * GC.class_histogram} (live objects, after a full collection) on the relay jar, before and while it holds
 * {@value #SOCKETS} idle tunnels to the mock Tower. The HTTP/1.1 state that served the handshake (HttpCore5's
 * stream duplexer with its session buffers, ~26 KiB) must not stay reachable from an idle tunnel: held for hours
 * by thousands of browser tabs, it decided how many sockets a relay could hold.
 */
class IdleTunnelHeapIT {
    private static final int SOCKETS = 1_000;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void anIdleTunnelKeepsNoHttpStateAlive() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral());
             JarProcess relay = JarProcess.start("serve", "--listen", "127.0.0.1:0", "--admin", "off",
                     "--upstream", "http://" + tower.hostAndPort())) {
            Matcher listening = relay.awaitStderr("listening on http://127\\.0\\.0\\.1:(\\d+)", WAIT);
            int port = Integer.parseInt(listening.group(1));
            String cookie = pageCookies(port);
            openTunnel(port, cookie).close(); // classes loaded, pools warm: the baseline is the steady state
            long before = HeapHistogram.of(relay.pid()).liveBytes();
            List<Socket> idle = new ArrayList<>();
            try {
                for (int i = 0; i < SOCKETS; i++) {
                    idle.add(openTunnel(port, cookie));
                }
                HeapHistogram histogram = HeapHistogram.of(relay.pid());
                long perTunnel = (histogram.liveBytes() - before) / SOCKETS;
                assertThat(histogram.instances("io.towerrelay.server.ServerHttp1Handler"))
                        .as("HTTP/1.1 handlers alive while %d tunnels idle", SOCKETS).isLessThan(SOCKETS / 10);
                // Both sessions, their sockets and the tunnel's two pipes: a few KiB. The handshake's HTTP state
                // kept alive made it ~30 KiB.
                assertThat(perTunnel).as("live heap bytes per idle tunnel").isLessThan(10 * 1024);
            } finally {
                for (Socket s : idle) {
                    s.close();
                }
            }
        }
    }

    /** The mock's page sets the session cookies a WebSocket handshake needs. */
    private static String pageCookies(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: tower\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            List<String> cookies = new ArrayList<>();
            Matcher m = Pattern.compile("(?im)^set-cookie:\\s*([^;\\r\\n]+)").matcher(answer);
            while (m.find()) {
                cookies.add(m.group(1));
            }
            assertThat(cookies).as("cookies from the page").isNotEmpty();
            return String.join("; ", cookies);
        }
    }

    private static Socket openTunnel(int port, String cookie) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout((int) WAIT.toMillis());
        byte[] key = new byte[16];
        new Random().nextBytes(key);
        socket.getOutputStream().write(("GET /websocket/ HTTP/1.1\r\nHost: tower\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                + Base64.getEncoder().encodeToString(key) + "\r\nCookie: " + cookie + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(head(socket.getInputStream())).startsWith("HTTP/1.1 101");
        return socket;
    }

    private static String head(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }
}

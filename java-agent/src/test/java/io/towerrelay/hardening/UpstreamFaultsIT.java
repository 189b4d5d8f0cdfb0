package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.towerrelay.proxy.RelayServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An upstream that starts a response and then resets the connection halfway through the body: the client must see
 * its response fail (a broken message), never a complete-looking, silently truncated success.
 */
class UpstreamFaultsIT {
    private static final int DECLARED = 100_000;
    private static final int SENT = 10_000;

    @ParameterizedTest(name = "{0} body")
    @ValueSource(strings = {"content-length", "chunked"})
    void upstreamResetMidBodyAbortsTheClientResponse(String framing) throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> answerHalfThenReset(upstream, framing.equals("chunked")), "resetting-upstream");
            server.setDaemon(true);
            server.start();
            try (RelayServer relay = TestRelays.start(TestRelays.config(URI.create("http://127.0.0.1:" + upstream.getLocalPort())))) {
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10)).build();
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + "/big"))
                        .timeout(Duration.ofSeconds(30)).build();
                // The JDK client throws when the connection ends before the message does.
                assertThatThrownBy(() -> client.send(request, BodyHandlers.ofByteArray())).isInstanceOf(IOException.class);
                // And a raw reader sees fewer bytes than promised, or no chunked terminator.
                try (RawConnection raw = new RawConnection(relay.listenAddress())) {
                    String got = raw.write("GET /big HTTP/1.1\r\nHost: tower\r\n\r\n").readUntilClosed(20_000).text();
                    assertThat(got).startsWith("HTTP/1.1 200");
                    String body = got.substring(got.indexOf("\r\n\r\n") + 4);
                    if (framing.equals("chunked")) {
                        assertThat(body).doesNotEndWith("0\r\n\r\n");
                    } else {
                        assertThat(body.length()).isLessThan(DECLARED);
                    }
                }
            }
        }
    }

    private static void answerHalfThenReset(ServerSocket upstream, boolean chunked) {
        while (!upstream.isClosed()) {
            try (Socket s = upstream.accept()) {
                InputStream in = s.getInputStream();
                StringBuilder head = new StringBuilder();
                while (head.indexOf("\r\n\r\n") < 0) {
                    int b = in.read();
                    if (b < 0) {
                        break;
                    }
                    head.append((char) b);
                }
                OutputStream out = s.getOutputStream();
                byte[] part = "x".repeat(SENT).getBytes(StandardCharsets.US_ASCII);
                if (chunked) {
                    out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.write((Integer.toHexString(SENT) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(part);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + DECLARED + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(part);
                }
                out.flush();
                Thread.sleep(200);
                s.setSoLinger(true, 0); // close() now sends RST
            } catch (IOException | InterruptedException e) {
                return;
            }
        }
    }
}

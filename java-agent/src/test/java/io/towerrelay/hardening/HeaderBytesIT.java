package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.proxy.RelayServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Header values are bytes, and RFC 9110 allows obs-text (0x80-0xFF) in them: UTF-8 in a cookie or a
 * Content-Disposition file name must reach the other side unchanged, both ways. (Found by RequestHeadFuzzTest:
 * HttpCore5's writer, without a charset, turned bytes 0x80-0x9F, which are in most UTF-8 text, into '?'.)
 */
class HeaderBytesIT {
    /** "café €5 ‚naïve‘" in UTF-8: €, ‚ and ‘ carry bytes 0x80-0x9F. */
    private static final byte[] UTF8 = "café €5 ‚naïve‘".getBytes(StandardCharsets.UTF_8);

    @Test
    void obsTextInHeaderValuesPassesUnchangedBothWays() throws Exception {
        try (ServerSocket upstream = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
                RelayServer relay = TestRelays.start(TestRelays.config(URI.create("http://127.0.0.1:" + upstream.getLocalPort())))) {
            CompletableFuture<byte[]> seenByTower = CompletableFuture.supplyAsync(() -> answer(upstream));
            try (RawConnection client = new RawConnection(relay.listenAddress())) {
                client.write(concat("GET /api/v2/ping/ HTTP/1.1\r\nHost: tower\r\nX-Name: ", UTF8, "\r\nCookie: n=", UTF8, "\r\n\r\n"));
                byte[] response = client.readOneResponse().getBytes(StandardCharsets.ISO_8859_1);
                String head = new String(seenByTower.get(30, TimeUnit.SECONDS), StandardCharsets.ISO_8859_1);
                String utf8 = new String(UTF8, StandardCharsets.ISO_8859_1);
                assertThat(head).contains("\r\nX-Name: " + utf8 + "\r\n").contains("\r\nCookie: n=" + utf8 + "\r\n");
                assertThat(new String(response, StandardCharsets.ISO_8859_1))
                        .startsWith("HTTP/1.1 200").contains("\r\nContent-Disposition: attachment; filename=\"" + utf8 + "\"\r\n");
            }
        }
    }

    /** Accepts one connection, reads the request head, answers with the same bytes in a response header. */
    private static byte[] answer(ServerSocket server) {
        try (Socket s = server.accept()) {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                head.write(b);
            }
            OutputStream out = s.getOutputStream();
            out.write(concat("HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"", UTF8,
                    "\"\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
            out.flush();
            return head.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            out.writeBytes(p instanceof byte[] b ? b : ((String) p).getBytes(StandardCharsets.ISO_8859_1));
        }
        return out.toByteArray();
    }
}

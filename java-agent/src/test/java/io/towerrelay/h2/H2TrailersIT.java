package io.towerrelay.h2;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.http.Header;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trailers across the protocols: response trailers Tower sends reach an HTTP/2 client as a trailing HEADERS frame
 * (names in lower case); a request that ends with trailers gets its whole response, its body reaching Tower.
 */
class H2TrailersIT {

    @Test
    void responseTrailersReachAnHttp2ClientAndARequestWithTrailersGetsItsWholeResponse(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (ServerSocket upstream = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> answerWithTrailers(upstream));
            try (RelayServer relay = TlsRelays.start(TlsRelays.config(certs, "127.0.0.1:" + upstream.getLocalPort()));
                    RawH2Client c = new RawH2Client(relay.listenAddress(), certs.clientContext())) {
                c.settingsAck(); // a client acknowledges the relay's SETTINGS, as any real one does
                c.frame(RawH2Client.HEADERS, RawH2Client.END_HEADERS, 1, c.requestHead("POST", "/upload", "te", "trailers"));
                c.frame(RawH2Client.DATA, 0, 1, "hello".getBytes(StandardCharsets.US_ASCII));
                c.frame(RawH2Client.HEADERS, RawH2Client.END_HEADERS | RawH2Client.END_STREAM, 1,
                        c.block("x-request-checksum", "c0ffee"));
                c.flush();

                List<List<Header>> heads = new ArrayList<>();
                StringBuilder body = new StringBuilder();
                List<String> frames = new ArrayList<>();
                for (RawH2Client.Frame f; heads.size() < 2 && (f = readOrExplain(c, seen, frames)) != null; ) {
                    frames.add(f.type() + "/" + f.flags() + "/" + f.streamId() + "/" + f.payload().length);
                    if (f.streamId() != 1) {
                        continue;
                    }
                    if (f.type() == RawH2Client.HEADERS) {
                        heads.add(c.fields(f));
                    } else if (f.type() == RawH2Client.DATA) {
                        body.append(new String(f.payload(), StandardCharsets.US_ASCII));
                    }
                }
                String request = seen.get(30, TimeUnit.SECONDS);
                // The body reaches Tower whole; the request's trailers do not (see docs/architecture.md: HttpCore5
                // 5.4.4 would otherwise never send this response's body).
                assertThat(request).contains("transfer-encoding: chunked").endsWith("\r\n5\r\nhello\r\n0\r\n\r\n")
                        .doesNotContain("c0ffee");
                assertThat(heads).hasSize(2);
                assertThat(heads.get(0)).anySatisfy(h -> assertThat(h.getName() + "=" + h.getValue()).isEqualTo(":status=200"));
                assertThat(body.toString()).isEqualTo("world");
                assertThat(heads.get(1)).extracting(h -> h.getName() + "=" + h.getValue()).containsExactly("x-response-checksum=beef");
            }
        }
    }

    private static RawH2Client.Frame readOrExplain(RawH2Client c, CompletableFuture<String> seen, List<String> frames)
            throws Exception {
        try {
            return c.read();
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("no complete answer; frames so far (type/flags/stream/length): " + frames
                    + "; the upstream saw: " + seen.getNow("(still reading)"), e);
        }
    }

    /** A one-shot HTTP/1.1 upstream: reads the chunked request to its end, answers chunked with a trailer. */
    private static String answerWithTrailers(ServerSocket server) {
        try (Socket s = server.accept()) {
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            ByteArrayOutputStream request = new ByteArrayOutputStream();
            // The request ends with the chunked body's last-chunk, trailer section and the empty line after it.
            while (!request.toString(StandardCharsets.ISO_8859_1).toLowerCase().matches("(?s).*\r\n0\r\n(.*\r\n)?\r\n$")) {
                int b = in.read();
                if (b < 0) {
                    break;
                }
                request.write(b);
            }
            OutputStream out = s.getOutputStream();
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Response-Checksum\r\n\r\n"
                    + "5\r\nworld\r\n0\r\nX-Response-Checksum: beef\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(500);
            return request.toString(StandardCharsets.ISO_8859_1).toLowerCase();
        } catch (Exception e) {
            return "failed: " + e;
        }
    }
}

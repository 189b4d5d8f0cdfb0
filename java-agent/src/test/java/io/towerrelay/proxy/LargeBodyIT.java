package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 200 MB each way through a relay process limited to a 128 MB heap: it only works if bodies are streamed with
 * flow control, never held whole.
 */
class LargeBodyIT {
    private static final long SIZE = 200L * 1024 * 1024;

    @Test
    void twoHundredMegabytesEachWayThroughA128MegabyteHeap(@TempDir Path dir) throws Exception {
        try (TestUpstream upstream = TestUpstream.http();
                RelayProcess relay = RelayProcess.serve(List.of("-Xmx128m"), "--listen", "127.0.0.1:0",
                        "--upstream", upstream.uri().toString(), "--admin", "off")) {
            InetSocketAddress address = relay.awaitListening();
            String base = "http://127.0.0.1:" + address.getPort();

            // Download with the JDK client, digesting as it streams.
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpResponse<InputStream> download = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/bytes?n=" + SIZE)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(download.statusCode()).isEqualTo(200);
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            long received = 0;
            try (InputStream in = download.body()) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    digest.update(buffer, 0, n);
                    received += n;
                }
            } catch (java.io.IOException e) {
                throw new AssertionError("download broke after " + received + " bytes; relay said: " + relay.stderr(), e);
            }
            String expected = TestUpstream.digestOfPattern(SIZE);
            assertThat(received).isEqualTo(SIZE);
            assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(expected);

            // Upload with curl from a file (Content-Length), as a user would push a large payload.
            Path file = dir.resolve("upload.bin");
            try (OutputStream out = Files.newOutputStream(file)) {
                byte[] block = new byte[1 << 16];
                for (long offset = 0; offset < SIZE; offset += block.length) {
                    for (int i = 0; i < block.length; i++) {
                        block[i] = TestUpstream.pattern(offset + i);
                    }
                    out.write(block);
                }
            }
            Process curl = new ProcessBuilder("curl", "-sS", "--fail", "-X", "POST", "--data-binary", "@" + file,
                    "-H", "Content-Type: application/octet-stream", base + "/echo").redirectErrorStream(true).start();
            String body = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(curl.waitFor(300, TimeUnit.SECONDS)).isTrue();
            assertThat(curl.exitValue()).as(body).isZero();
            assertThat(body).contains("body-length=" + SIZE + "\n", "body-sha256=" + expected + "\n");

            assertThat(relay.isAlive()).isTrue();
            assertThat(relay.stderr()).noneMatch(line -> line.contains("OutOfMemoryError"));
            assertThat(relay.terminate()).isZero();
        }
    }
}

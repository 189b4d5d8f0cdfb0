package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.RawHttp;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;

/**
 * A slow upstream and fast clients at once. {@value #SLOW} requests get responses that trickle out (1 KiB pieces,
 * half with Content-Length, half chunked) and then stop half way, held by the test; while all of them are stuck
 * mid-body, {@value #FAST_CLIENTS} clients send {@value #FAST_PER_CLIENT} requests each to a path Tower answers at
 * once. Every fast request must succeed with its own body while the slow ones are held (so the relay's two I/O
 * threads were never blocked by them); then the slow ones are released and each must arrive complete, byte for
 * byte. Results only, no timings.
 */
class SlowUpstreamFastClientsIT {
    private static final int SLOW = 16;
    private static final int SLOW_BYTES = 256 * 1024;
    private static final int FAST_CLIENTS = 16;
    private static final int FAST_PER_CLIENT = 25;

    @Test
    void fastRequestsAreServedWhileSlowResponsesTrickleAndTheSlowOnesArriveWhole() throws Exception {
        try (TricklingUpstream tower = new TricklingUpstream()) {
            RelayConfig base = TestRelays.config(URI.create("http://127.0.0.1:" + tower.port()));
            // The held responses are silent for as long as the fast phase takes: keep the upstream read timeout
            // well above it (it is not what this test is about; UpstreamFaultsIT covers 504).
            RelayConfig config = base.withUpstream(base.upstream().withTimeouts(base.upstream().connectTimeout(), Timeout.ofMinutes(5)));
            try (RelayServer relay = TestRelays.start(config)) {
                String origin = "http://127.0.0.1:" + relay.listenAddress().getPort();
                HttpClient slowClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                List<CompletableFuture<HttpResponse<byte[]>>> slow = new ArrayList<>();
                for (int i = 0; i < SLOW; i++) {
                    slow.add(slowClient.sendAsync(HttpRequest.newBuilder(URI.create(origin + "/slow/" + i))
                            .timeout(Duration.ofMinutes(5)).build(), BodyHandlers.ofByteArray()));
                }
                await().atMost(Duration.ofMinutes(2)).until(() -> tower.held() == SLOW);

                ExecutorService clients = Executors.newFixedThreadPool(FAST_CLIENTS);
                List<Future<List<String>>> fast = new ArrayList<>();
                for (int c = 0; c < FAST_CLIENTS; c++) {
                    int client = c;
                    fast.add(clients.submit(() -> fastClient(origin, client)));
                }
                List<String> failures = new ArrayList<>();
                for (Future<List<String>> f : fast) {
                    failures.addAll(f.get(5, TimeUnit.MINUTES));
                }
                clients.shutdown();
                assertThat(failures).as("fast requests that did not get their own 200").isEmpty();
                assertThat(tower.fastServed()).isEqualTo(FAST_CLIENTS * FAST_PER_CLIENT);
                // Every slow response was still held half way while all of that happened.
                assertThat(tower.held()).isEqualTo(SLOW);
                assertThat(slow).noneMatch(CompletableFuture::isDone);

                tower.release();
                for (int i = 0; i < SLOW; i++) {
                    HttpResponse<byte[]> response = slow.get(i).get(5, TimeUnit.MINUTES);
                    assertThat(response.statusCode()).isEqualTo(200);
                    assertThat(response.body()).as("slow body %d, byte for byte", i).isEqualTo(TricklingUpstream.body(i));
                }
                await().atMost(Duration.ofMinutes(1)).until(() -> tower.slowCompleted() == SLOW);
            }
        }
    }

    /** One fast client: its own keep-alive connection(s), FAST_PER_CLIENT requests in a row; returns what failed. */
    private static List<String> fastClient(String origin, int client) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<String> failures = new ArrayList<>();
        for (int n = 0; n < FAST_PER_CLIENT; n++) {
            String path = "/fast/" + client + "-" + n;
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(origin + path))
                        .timeout(Duration.ofMinutes(2)).build(), BodyHandlers.ofString());
                if (r.statusCode() != 200 || !r.body().equals("fast " + path)) {
                    failures.add(path + ": " + r.statusCode() + " " + r.body());
                }
            } catch (IOException | InterruptedException e) {
                failures.add(path + ": " + e);
            }
        }
        return failures;
    }

    /**
     * Tower for this test, on a thread per connection: {@code /fast/...} answered at once; {@code /slow/N} sends its
     * head, then the first half of its body in 1 KiB pieces (even N with Content-Length, odd N chunked), then waits
     * for {@link #release()} before sending the rest.
     */
    private static final class TricklingUpstream implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicInteger held = new AtomicInteger();
        private final AtomicInteger fastServed = new AtomicInteger();
        private final AtomicInteger slowCompleted = new AtomicInteger();
        private final Map<Socket, Boolean> open = new ConcurrentHashMap<>();

        TricklingUpstream() throws IOException {
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        open.put(s, true);
                        Thread t = new Thread(() -> serve(s), "trickling-upstream-conn");
                        t.setDaemon(true);
                        t.start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            }, "trickling-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        static byte[] body(int i) {
            byte[] b = new byte[SLOW_BYTES];
            for (int p = 0; p < b.length; p++) {
                b[p] = (byte) ('a' + (i * 31 + p) % 26);
            }
            return b;
        }

        int port() {
            return server.getLocalPort();
        }

        int held() {
            return held.get();
        }

        int fastServed() {
            return fastServed.get();
        }

        int slowCompleted() {
            return slowCompleted.get();
        }

        void release() {
            released.countDown();
        }

        private void serve(Socket s) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String path = RawHttp.head(in).split(" ", 3)[1]; // IOException when the relay closes
                    if (path.startsWith("/slow/")) {
                        slow(out, Integer.parseInt(path.substring("/slow/".length())));
                    } else {
                        byte[] body = ("fast " + path).getBytes(StandardCharsets.US_ASCII);
                        out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        out.flush();
                        fastServed.incrementAndGet();
                    }
                }
            } catch (IOException | InterruptedException e) {
                // connection over
            } finally {
                open.remove(s);
            }
        }

        private void slow(OutputStream out, int i) throws IOException, InterruptedException {
            byte[] body = body(i);
            boolean chunked = i % 2 == 1;
            out.write(("HTTP/1.1 200 OK\r\n" + (chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + body.length)
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            int piece = 1024;
            for (int p = 0; p < body.length; p += piece) {
                if (p == body.length / 2) {
                    held.incrementAndGet();
                    released.await();
                }
                if (chunked) {
                    out.write((Integer.toHexString(piece) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                }
                out.write(body, p, piece);
                if (chunked) {
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                }
                out.flush();
                if (p < body.length / 2) {
                    Thread.sleep(2); // trickle the first half
                }
            }
            if (chunked) {
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            slowCompleted.incrementAndGet();
        }

        @Override
        public void close() throws IOException {
            release();
            server.close();
            for (Socket s : open.keySet()) {
                s.close();
            }
        }
    }
}

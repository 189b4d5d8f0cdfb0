package io.towerrelay.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.testsupport.HeapHistogram;
import io.towerrelay.testsupport.JarProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More clients than upstream connections (the usual case: pool-size is per node, clients are browsers): requests
 * wait for a pooled connection and are served as others finish. Once answered, a request must leave nothing
 * behind: every waiter kept after it was served held its exchange, the client's HTTP/1.1 state and buffers
 * (~26 KiB), and under a steady load the relay's heap filled until it spent its time collecting garbage (live
 * objects read with {@code jcmd GC.class_histogram} on the relay jar, as an operator would).
 */
class PoolWaitersHeapIT {
    private static final int CLIENTS = 12;
    private static final int REQUESTS_EACH = 200;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void requestsThatWaitedForAPooledConnectionLeaveNothingBehind() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral())) {
            Path config = dir.resolve("relay.yml");
            Files.writeString(config, """
                    listen:
                      address: 127.0.0.1:0
                    admin:
                      address: "off"
                    upstream:
                      url: http://%s
                      pool-size: 8
                    access-log: "off"
                    """.formatted(tower.hostAndPort()));
            try (JarProcess relay = JarProcess.start("serve", "--config", config.toString())) {
                Matcher listening = relay.awaitStderr("listening on http://127\\.0\\.0\\.1:(\\d+)", WAIT);
                URI ping = URI.create("http://127.0.0.1:" + listening.group(1) + "/api/v2/ping/");
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
                try {
                    List<Future<Integer>> answered = new ArrayList<>();
                    for (int i = 0; i < CLIENTS; i++) {
                        answered.add(clients.submit(() -> {
                            int ok = 0;
                            for (int r = 0; r < REQUESTS_EACH; r++) {
                                HttpResponse<Void> answer = client.send(HttpRequest.newBuilder(ping).timeout(WAIT).build(),
                                        HttpResponse.BodyHandlers.discarding());
                                ok += answer.statusCode() == 200 ? 1 : 0;
                            }
                            return ok;
                        }));
                    }
                    for (Future<Integer> f : answered) {
                        assertThat(f.get()).as("200s of one client").isEqualTo(REQUESTS_EACH);
                    }
                } finally {
                    clients.shutdownNow();
                }
                // The clients' connections are still open (keep-alive), idle between requests: no exchange is due.
                HeapHistogram heap = HeapHistogram.of(relay.pid());
                assertThat(heap.instances("io.towerrelay.proxy.ProxyExchange"))
                        .as("exchanges alive after %d answered requests, %d clients idle", CLIENTS * REQUESTS_EACH, CLIENTS)
                        .isLessThan(CLIENTS);
            }
        }
    }
}

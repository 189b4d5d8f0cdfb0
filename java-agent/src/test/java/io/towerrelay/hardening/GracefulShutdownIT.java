package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.testsupport.JarProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a relay process while requests are in flight (upstream takes 2 s each): every accepted request
 * completes with its own answer, none is cut, and the process exits 0.
 */
class GracefulShutdownIT {
    private static final int IN_FLIGHT = 40;

    @Test
    void sigtermLetsEveryAcceptedRequestFinish() throws Exception {
        try (SlowUpstream upstream = new SlowUpstream(2_000);
                JarProcess relay = JarProcess.start("serve", "--listen", "127.0.0.1:0",
                        "--upstream", "http://127.0.0.1:" + upstream.port(), "--admin", "off")) {
            Matcher listening = relay.awaitStderr("listening on http://127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(60));
            int port = Integer.parseInt(listening.group(1));
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < IN_FLIGHT; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/job/" + i))
                        .timeout(Duration.ofSeconds(60)).build(), BodyHandlers.ofString()));
            }
            // All of them have reached Tower: they are accepted and in flight.
            await().atMost(Duration.ofSeconds(30)).until(() -> upstream.requestsStarted() == IN_FLIGHT);

            assertThat(relay.terminate(Duration.ofSeconds(60))).isZero();

            for (int i = 0; i < IN_FLIGHT; i++) {
                HttpResponse<String> r = responses.get(i).join();
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("done /job/" + i);
            }
        }
    }
}

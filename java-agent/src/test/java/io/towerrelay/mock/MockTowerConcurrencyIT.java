package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** One I/O thread, many sockets: what relay tests and benchmarks put on the mock at once. */
class MockTowerConcurrencyIT {

    private static final int SOCKETS = 1000;

    @Test
    void thousandConcurrentWebSocketsAllGetAcceptedSubscribedAndFed() throws Exception {
        try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofMillis(50)))) {
            TowerTestClient browser = new TowerTestClient(tower.hostAndPort()).login();
            String subscription = browser.subscription(browser.cookie("csrftoken"), List.of("1"));
            HttpClient http = HttpClient.newHttpClient();
            CountDownLatch accepted = new CountDownLatch(SOCKETS);
            CountDownLatch fed = new CountDownLatch(SOCKETS);

            List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
            for (int i = 0; i < SOCKETS; i++) {
                opening.add(http.newWebSocketBuilder()
                        .header("Cookie", browser.cookieHeader().get("Cookie"))
                        .connectTimeout(Duration.ofSeconds(60))
                        .buildAsync(URI.create("ws://" + tower.hostAndPort() + "/websocket/"),
                                new CountingListener(subscription, accepted, fed)));
            }
            List<WebSocket> sockets = new ArrayList<>();
            for (CompletableFuture<WebSocket> future : opening) {
                sockets.add(future.get(120, TimeUnit.SECONDS));
            }

            assertThat(accepted.await(120, TimeUnit.SECONDS)).as("all %d sockets got {accept: true}", SOCKETS).isTrue();
            assertThat(fed.await(120, TimeUnit.SECONDS)).as("all %d sockets got a job event", SOCKETS).isTrue();
            for (WebSocket socket : sockets) {
                socket.abort();
            }
        }
    }

    /** Subscribes after the accept message and counts the first job event. */
    private static final class CountingListener implements WebSocket.Listener {
        private final String subscription;
        private final CountDownLatch accepted;
        private final CountDownLatch fed;
        private final StringBuilder partial = new StringBuilder();
        private boolean sawAccept;
        private boolean sawEvent;

        CountingListener(String subscription, CountDownLatch accepted, CountDownLatch fed) {
            this.subscription = subscription;
            this.accepted = accepted;
            this.fed = fed;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String message = partial.toString();
                partial.setLength(0);
                if (!sawAccept && message.contains("\"accept\":true")) {
                    sawAccept = true;
                    accepted.countDown();
                    webSocket.sendText(subscription, true);
                } else if (!sawEvent && message.contains("\"group_name\":\"job_events\"")) {
                    sawEvent = true;
                    fed.countDown();
                }
            }
            webSocket.request(1);
            return null;
        }
    }
}

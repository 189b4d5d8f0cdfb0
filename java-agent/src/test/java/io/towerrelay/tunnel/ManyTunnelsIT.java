package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 1,000 tunnels open at once, each carrying its own numbered messages: none lost, none reordered, none crossed
 * into another tunnel. The clients are the JDK's WebSocket (one selector for all, so the test stays light on
 * this machine's two cores); the upstream is a plain blocking echo server (Java-WebSocket's server loses a
 * few echoes at this load even when connected directly, so it would make this test flaky).
 */
class ManyTunnelsIT {

    private static final int TUNNELS = 1000;
    private static final int MESSAGES = 20;

    @Test
    void thousandConcurrentTunnelsKeepTheirMessagesInOrder() throws Exception {
        FramingEchoUpstream tower = new FramingEchoUpstream();
        ExecutorService executor = Executors.newFixedThreadPool(4);
        HttpClient http = HttpClient.newBuilder().executor(executor).build();
        try (TestRelay relay = new TestRelay(TestRelay.config(tower.uri("http")))) {
            List<Sequenced> clients = new ArrayList<>();
            for (int batch = 0; batch < TUNNELS; batch += 100) {
                List<CompletableFuture<WebSocket>> opening = new ArrayList<>();
                for (int i = batch; i < batch + 100; i++) {
                    Sequenced client = new Sequenced(i);
                    clients.add(client);
                    opening.add(http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(20))
                            .buildAsync(relay.uri("ws", "/websocket/?client=" + i), client));
                }
                CompletableFuture.allOf(opening.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            }
            assertThat(relay.openTunnels()).isEqualTo(TUNNELS);

            clients.forEach(Sequenced::sendNext);
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> clients.stream().allMatch(Sequenced::done));
            } catch (org.awaitility.core.ConditionTimeoutException ex) {
                throw new AssertionError("clients stuck (id:received): " + clients.stream().filter(c -> !c.done())
                        .map(c -> c.id + ":" + c.received).toList(), ex);
            }
            assertThat(clients).allSatisfy(c -> assertThat(c.error).as("client " + c.id).isNull());
            assertThat(clients).allSatisfy(c -> assertThat(c.received).isEqualTo(MESSAGES));

            List<CompletableFuture<WebSocket>> closing = new ArrayList<>();
            for (Sequenced client : clients) {
                closing.add(client.socket.sendClose(WebSocket.NORMAL_CLOSURE, "done"));
            }
            CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            await().atMost(Duration.ofMinutes(1)).until(() -> relay.openTunnels() == 0);
            // Access-log lines are written by the log thread, just after each close.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(relay.tunnelLog().stream().filter(line -> line.contains("\"status\":101,"))).hasSize(TUNNELS));
        } finally {
            executor.shutdownNow();
            tower.close();
        }
    }

    /** Sends message n+1 once the echo of n came back, and checks each echo is exactly the next one. */
    private static final class Sequenced implements WebSocket.Listener {
        final int id;
        volatile WebSocket socket;
        volatile int received;
        volatile String error;
        private final StringBuilder partial = new StringBuilder();

        Sequenced(int id) {
            this.id = id;
        }

        boolean done() {
            return received == MESSAGES || error != null;
        }

        /** The JDK's WebSocket refuses a send while the previous one is still completing: chain them. */
        private CompletableFuture<WebSocket> lastSend = CompletableFuture.completedFuture(null);

        synchronized void sendNext() {
            String text = "client " + id + " message " + received;
            lastSend = lastSend.thenCompose(ignored -> socket.sendText(text, true));
            lastSend.whenComplete((ws, failure) -> {
                if (failure != null) {
                    error = "send failed: " + failure;
                }
            });
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String expected = "client " + id + " message " + received;
                if (!partial.toString().equals(expected)) {
                    error = "expected '" + expected + "' got '" + partial + "'";
                } else {
                    received++;
                    if (received < MESSAGES) {
                        sendNext();
                    }
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable cause) {
            error = "error " + cause;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            if (received < MESSAGES) {
                error = "closed early: " + statusCode + " " + reason;
            }
            return null;
        }
    }

}

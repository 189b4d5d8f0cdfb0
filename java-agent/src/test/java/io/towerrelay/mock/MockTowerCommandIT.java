package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.testsupport.JarProcess;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code java -jar tower-relay.jar mock-tower} as a user runs it. */
class MockTowerCommandIT {

    private static final Duration START = Duration.ofSeconds(60);

    @Test
    void servesUntilSigtermThenExitsZero() throws Exception {
        try (JarProcess mock = JarProcess.start("mock-tower", "--listen", "127.0.0.1:0", "--event-interval-ms", "50",
                "--ping-interval-s", "0")) {
            String hostAndPort = mock.awaitStdout("mock-tower listening on http://(\\S+)/", START).group(1);
            TowerTestClient client = new TowerTestClient(hostAndPort).login();
            HttpResponse<String> ping = client.get("/api/v2/ping/");
            LiveEventsTestSocket socket = LiveEventsTestSocket.open(
                    java.net.URI.create("ws://" + hostAndPort + "/websocket/"), client.cookieHeader());
            socket.next();
            socket.send(client.subscription(client.cookie("csrftoken"), List.of("1")));
            socket.nextWhere(m -> m.path("counter").asInt() == 3);

            assertThat(ping.statusCode()).isEqualTo(200);
            assertThat(mock.terminate(Duration.ofSeconds(30))).isEqualTo(0);
            await().atMost(Duration.ofSeconds(20)).until(() -> !socket.isOpen());
            assertThat(socket.closeCode).as("close code the browser sees on shutdown").isEqualTo(1001);
        }
    }

    @Test
    void busyPortIsOneLineAndExitCode2() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                JarProcess mock = JarProcess.start("mock-tower", "--listen", "127.0.0.1:" + taken.getLocalPort())) {
            int exit = mock.waitFor(START);

            assertThat(exit).isEqualTo(2);
            assertThat(mock.stderr()).hasSize(1);
            assertThat(mock.stderr().get(0)).startsWith("tower-relay: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("address already in use");
        }
    }

    @Test
    void badFlagValueIsAUsageError() throws Exception {
        try (JarProcess mock = JarProcess.start("mock-tower", "--event-interval-ms", "0")) {
            assertThat(mock.waitFor(START)).isEqualTo(2);
            assertThat(mock.stderr()).containsExactly("tower-relay: --event-interval-ms must be at least 1, got 0");
        }
    }
}

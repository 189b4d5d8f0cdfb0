package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.testsupport.RawHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code io-threads} as an administrator sets it in the config file: the relay starts that many I/O threads, says so
 * at start, and serves connections on them.
 */
class IoThreadsIT {

    @Test
    void theConfiguredNumberOfIoThreadsServesTheConnections(@TempDir Path dir) throws Exception {
        try (TestUpstream upstream = TestUpstream.http()) {
            Path config = dir.resolve("relay.yml");
            Files.writeString(config, "listen:\n  address: 127.0.0.1:0\nadmin:\n  address: \"off\"\nupstream:\n  url: "
                    + upstream.uri() + "\nio-threads: 3\n");
            try (RelayProcess relay = RelayProcess.serve(List.of(), "--config", config.toString())) {
                InetSocketAddress address = relay.awaitListening();
                List<Socket> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 6; i++) {
                        Socket client = new Socket();
                        client.connect(address, 10_000);
                        client.setSoTimeout(10_000);
                        clients.add(client);
                    }
                    for (Socket client : clients) {
                        RawHttp.send(client, "GET /bytes?n=10&fixed HTTP/1.1\r\nHost: tower\r\n\r\n");
                        assertThat(RawHttp.head(client.getInputStream())).startsWith("HTTP/1.1 200");
                    }
                } finally {
                    for (Socket client : clients) {
                        client.close();
                    }
                }
                assertThat(ioThreadNames(relay.pid())).containsExactlyInAnyOrder("relay-io-0", "relay-io-1", "relay-io-2");
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(relay.stderr())
                        .anyMatch(line -> line.contains("3 I/O threads serving both sides of every connection (io-threads: 3)")));
            }
        }
    }

    /** The names of the process's threads that are the relay's I/O threads, as {@code /proc} shows them. */
    private static List<String> ioThreadNames(long pid) throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.map(task -> {
                try {
                    return Files.readString(task.resolve("comm")).trim();
                } catch (IOException gone) {
                    return "";
                }
            }).filter(name -> name.startsWith("relay-io-")).toList();
        }
    }
}

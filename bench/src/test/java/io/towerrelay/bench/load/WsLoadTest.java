package io.towerrelay.bench.load;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class WsLoadTest {

    /**
     * A listener nobody accepts from (as a backend thread that died left one): the kernel completes the TCP
     * connections, the handshakes are never answered. The timeout says so instead of only "opened 0 in time".
     */
    @Test
    void aTimeoutSaysWhereTheHandshakesWait() throws Exception {
        try (ServerSocket neverAccepts = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             WsLoad load = new WsLoad(1)) {
            InetSocketAddress target = new InetSocketAddress("127.0.0.1", neverAccepts.getLocalPort());
            assertThatThrownBy(() -> load.open(target, "/websocket/?mode=idle", 3, Duration.ofMillis(500)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("only 0 of 3 WebSockets opened in time (0 failed")
                    .hasMessageContaining("still waiting: 0 for the TCP connection, 3 for the 101 answer, 0 for the accept message");
        }
    }
}

package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.testsupport.RawHttp;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A client that sends many requests at once (pipelining) and reads nothing for a while, so that the relay's socket
 * to it fills up in the middle of answers: once it reads, every answer must arrive whole and in order, the last one
 * followed by the close it asked for. The relay joins an answer's head to its body in one write and holds small
 * writes for it; what the full socket did not take must go first when it drains, and a close must wait for it.
 */
class PipelinedSlowReaderIT {
    private static final int REQUESTS = 240;

    @Test
    void answersToAClientThatReadsLateArriveWholeAndInOrder() throws Exception {
        try (TestUpstream upstream = TestUpstream.http();
                RelayProcess relay = RelayProcess.serve(List.of(), "--listen", "127.0.0.1:0",
                        "--upstream", upstream.uri().toString(), "--admin", "off")) {
            InetSocketAddress address = relay.awaitListening();
            try (Socket socket = new Socket()) {
                socket.setReceiveBufferSize(4096);
                socket.connect(address, 10_000);
                socket.setSoTimeout(30_000);
                StringBuilder requests = new StringBuilder();
                for (int i = 0; i < REQUESTS; i++) {
                    requests.append("GET /bytes?n=").append(size(i)).append("&fixed HTTP/1.1\r\nHost: tower\r\n")
                            .append(i == REQUESTS - 1 ? "Connection: close\r\n" : "").append("\r\n");
                }
                RawHttp.send(socket, requests.toString());
                Thread.sleep(1_000); // the relay's writes to this socket fill it and stall

                InputStream in = socket.getInputStream();
                for (int i = 0; i < REQUESTS; i++) {
                    String head = RawHttp.head(in);
                    assertThat(head).as("answer %d", i).startsWith("HTTP/1.1 200");
                    int length = Integer.parseInt(RawHttp.headerOf(head, "Content-Length"));
                    assertThat(length).as("answer %d length", i).isEqualTo(size(i));
                    byte[] body = in.readNBytes(length);
                    assertThat(body.length).as("answer %d bytes received", i).isEqualTo(length);
                    for (int b = 0; b < length; b++) {
                        if (body[b] != TestUpstream.pattern(b)) {
                            throw new AssertionError("answer " + i + " differs at byte " + b);
                        }
                    }
                }
                assertThat(in.read()).as("the close asked for after the last answer").isEqualTo(-1);
            }
            assertThat(relay.isAlive()).isTrue();
        }
    }

    /** Small answers (held and sent after the socket drains) between ones above the 8 KiB held size. */
    private static int size(int i) {
        return switch (i % 4) {
            case 0 -> 300;
            case 1 -> 3_000;
            case 2 -> 20_000;
            default -> 70_000;
        };
    }
}

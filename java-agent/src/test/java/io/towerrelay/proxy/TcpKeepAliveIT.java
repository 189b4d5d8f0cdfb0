package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.testsupport.RawHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The relay's sockets, client side and Tower side, have TCP keep-alive on with the kernel's timings, as
 * {@code ss -o} shows an administrator: not a probe every 5 s on every idle WebSocket and pooled connection
 * (HttpCore5's builder defaults).
 */
class TcpKeepAliveIT {
    private static final Pattern KEEPALIVE_TIMER = Pattern.compile("timer:\\(keepalive,([0-9.]+)(ms|sec|min|h)");

    @Test
    void idleConnectionsAreProbedOnTheKernelsScheduleNotEveryFewSeconds() throws Exception {
        try (TestUpstream upstream = TestUpstream.http();
                RelayProcess relay = RelayProcess.serve(List.of(), "--listen", "127.0.0.1:0",
                        "--upstream", upstream.uri().toString(), "--admin", "off")) {
            InetSocketAddress address = relay.awaitListening();
            try (Socket client = new Socket()) {
                client.connect(address, 10_000);
                client.setSoTimeout(30_000);
                RawHttp.send(client, "GET /bytes?n=10&fixed HTTP/1.1\r\nHost: tower\r\n\r\n");
                assertThat(RawHttp.head(client.getInputStream())).startsWith("HTTP/1.1 200");

                Duration clientSide = keepAliveTimer("sport = :" + address.getPort());
                Duration towerSide = keepAliveTimer("dport = :" + upstream.uri().getPort());

                // The kernel's default is 2 h (net.ipv4.tcp_keepalive_time); anything above a minute is not 5 s.
                assertThat(clientSide).as("keep-alive timer of the accepted client connection").isGreaterThan(Duration.ofMinutes(1));
                assertThat(towerSide).as("keep-alive timer of the pooled connection to Tower").isGreaterThan(Duration.ofMinutes(1));
            }
        }
    }

    /** The keep-alive timer {@code ss -tno} shows for the one established socket matching {@code filter}. */
    private static Duration keepAliveTimer(String filter) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-tnoH", "state", "established", "( " + filter + " )")
                .redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor(10, TimeUnit.SECONDS)).isTrue();
        List<Duration> timers = new ArrayList<>();
        Matcher m = KEEPALIVE_TIMER.matcher(out);
        while (m.find()) {
            double value = Double.parseDouble(m.group(1));
            timers.add(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis((long) value);
                case "sec" -> Duration.ofMillis((long) (value * 1000));
                case "min" -> Duration.ofSeconds((long) (value * 60));
                default -> Duration.ofMinutes((long) (value * 60));
            });
        }
        assertThat(timers).as("keep-alive timers of '%s' in: %s", filter, out).hasSize(1);
        return timers.get(0);
    }
}

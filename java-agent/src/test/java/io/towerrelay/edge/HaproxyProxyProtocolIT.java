package io.towerrelay.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.LimitsConfig;
import io.towerrelay.mock.HttpRequest;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.HaproxyServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Debian's HAProxy in TCP mode in front of the relay, as an L4 balancer would be: {@code send-proxy} (v1) and
 * {@code send-proxy-v2}, to a plain and a TLS listener (TLS passes through HAProxy untouched). curl connects to
 * HAProxy from 127.0.0.2 and HAProxy to the relay from 127.0.0.1 (the only trusted proxy), so the relay can only name
 * 127.0.0.2 if it took the address from the PROXY header: Tower's X-Forwarded-For and the access log must say so.
 */
class HaproxyProxyProtocolIT {
    private static final String CLIENT = "127.0.0.2";

    @TempDir
    static Path dir;
    private static ProxyProtocolRelays relays;
    private static HaproxyServer haproxy;

    @BeforeAll
    static void start() throws Exception {
        relays = new ProxyProtocolRelays(dir, LimitsConfig.DEFAULT_HEADER_TIMEOUT);
        RelayServer plain = relays.plain;
        RelayServer tls = relays.tls;
        int plainPort = plain.listenAddress().getPort();
        int tlsPort = tls.listenAddress().getPort();
        haproxy = HaproxyServer.start("""
                global
                    maxconn 200
                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                listen v1
                    bind 127.0.0.1:{{PORT0}}
                    server relay 127.0.0.1:%1$d send-proxy
                listen v2
                    bind 127.0.0.1:{{PORT1}}
                    server relay 127.0.0.1:%1$d send-proxy-v2
                listen v2tls
                    bind 127.0.0.1:{{PORT2}}
                    server relay 127.0.0.1:%2$d send-proxy-v2
                listen v1tls
                    bind 127.0.0.1:{{PORT3}}
                    server relay 127.0.0.1:%2$d send-proxy
                """.formatted(plainPort, tlsPort), 4);
    }

    @AfterAll
    static void stop() {
        if (haproxy != null) {
            haproxy.close();
        }
        if (relays != null) {
            relays.close();
        }
    }

    @ParameterizedTest(name = "HAProxy {0} to the {1} listener")
    @CsvSource({"send-proxy, plain, 0", "send-proxy-v2, plain, 1", "send-proxy-v2, TLS, 2", "send-proxy, TLS, 3"})
    void curlThroughHaproxyIsNamedByItsOwnAddress(String mode, String listener, int frontend) throws Exception {
        boolean secure = listener.equals("TLS");
        String target = "/api/v2/mock/echo/?haproxy-" + frontend + "-" + UUID.randomUUID();
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--interface", CLIENT,
                "-o", "/dev/null", "-w", "%{http_code}"));
        if (secure) {
            command.addAll(List.of("--cacert", relays.certs.caPem.toString(),
                    "--resolve", "localhost:" + haproxy.port(frontend) + ":127.0.0.1"));
        }
        command.add((secure ? "https://localhost:" : "http://127.0.0.1:") + haproxy.port(frontend) + target);
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("curl through HAProxy (%s); HAProxy said:%n%s", mode, haproxy.output()).isEqualTo("200");

        HttpRequest seen = relays.tower.receivedRequests().stream().filter(r -> r.target().equals(target)).findFirst()
                .orElseThrow(() -> new AssertionError("Tower did not see " + target));
        assertThat(seen.header("X-Forwarded-For")).hasValue(CLIENT);
        assertThat(seen.header("X-Forwarded-Proto")).hasValue(secure ? "https" : "http");
        ByteArrayOutputStream log = secure ? relays.tlsLog : relays.plainLog;
        await().atMost(Duration.ofSeconds(10)).until(() -> ProxyProtocolRelays.accessLogLine(log, target) != null);
        assertThat(ProxyProtocolRelays.accessLogLine(log, target)).startsWith(CLIENT + " ");
    }
}

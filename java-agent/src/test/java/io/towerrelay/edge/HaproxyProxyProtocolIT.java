package io.towerrelay.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.Cidr;
import io.towerrelay.config.ForwardedConfig;
import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.mock.HttpRequest;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.HaproxyServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.util.Timeout;
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
    private static TestCertificates certs;
    private static MockTower tower;
    private static RelayServer plain;
    private static RelayServer tls;
    private static HaproxyServer haproxy;
    private static final ByteArrayOutputStream plainLog = new ByteArrayOutputStream();
    private static final ByteArrayOutputStream tlsLog = new ByteArrayOutputStream();

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create(dir);
        tower = MockTower.start(MockTowerOptions.ephemeral());
        plain = RelayServer.start(config(null), new PrintStream(plainLog, true, StandardCharsets.UTF_8));
        tls = RelayServer.start(config(new TlsFiles(certs.certPem, certs.keyPem)),
                new PrintStream(tlsLog, true, StandardCharsets.UTF_8));
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

    private static RelayConfig config(TlsFiles tlsFiles) {
        return RelayConfig.defaults()
                .withListen(new ListenConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), tlsFiles, true))
                .withForwarded(new ForwardedConfig(List.of(Cidr.parse("127.0.0.1/32"))))
                .withAdmin(null).withUpstream(URI.create("http://" + tower.hostAndPort()))
                .withShutdownGrace(Timeout.ofSeconds(1));
    }

    @AfterAll
    static void stop() {
        if (haproxy != null) {
            haproxy.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {plain, tls, tower}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
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
            command.addAll(List.of("--cacert", certs.caPem.toString(),
                    "--resolve", "localhost:" + haproxy.port(frontend) + ":127.0.0.1"));
        }
        command.add((secure ? "https://localhost:" : "http://127.0.0.1:") + haproxy.port(frontend) + target);
        Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("curl through HAProxy (%s); HAProxy said:%n%s", mode, haproxy.output()).isEqualTo("200");

        HttpRequest seen = tower.receivedRequests().stream().filter(r -> r.target().equals(target)).findFirst()
                .orElseThrow(() -> new AssertionError("Tower did not see " + target));
        assertThat(seen.header("X-Forwarded-For")).hasValue(CLIENT);
        assertThat(seen.header("X-Forwarded-Proto")).hasValue(secure ? "https" : "http");
        ByteArrayOutputStream log = secure ? tlsLog : plainLog;
        await().atMost(Duration.ofSeconds(10)).until(() -> line(log, target) != null);
        assertThat(line(log, target)).startsWith(CLIENT + " ");
    }

    private static String line(ByteArrayOutputStream log, String part) {
        return log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains(part)).findFirst().orElse(null);
    }
}

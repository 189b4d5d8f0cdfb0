package io.towerrelay.h2;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.NginxServer;
import io.towerrelay.testsupport.TestCertificates;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * h2spec 2.2.1 (HTTP/2 and HPACK conformance: 145 cases) against the relay's TLS listener, with Debian's NGINX and
 * HAProxy in front of the same mock Tower in the same run for comparison. The relay's count is asserted; the
 * others are written to {@code target/h2spec/summary.txt} (docs/reliability.md quotes a run). h2spec comes from
 * scripts/test-env.sh (built from its Go module, pinned).
 */
class H2specIT {
    static final Path H2SPEC = Path.of(System.getProperty("towerrelay.h2spec", "/usr/local/bin/h2spec"));
    static final Path HAPROXY = Path.of(System.getProperty("towerrelay.haproxy", "/usr/sbin/haproxy"));
    static final Path OUT = Path.of("target", "h2spec");

    @TempDir
    static Path dir;
    static TestCertificates certs;
    static MockTower tower;

    /** The result of one h2spec run. */
    record Result(int tests, int passed, int skipped, List<String> failed) {
        @Override
        public String toString() {
            return tests + " tests, " + passed + " passed, " + skipped + " skipped, " + failed.size() + " failed";
        }
    }

    @BeforeAll
    static void start() throws Exception {
        assertThat(H2SPEC).as("h2spec (bash scripts/test-env.sh installs it)").isExecutable();
        certs = TestCertificates.create(dir);
        tower = MockTower.start(MockTowerOptions.ephemeral());
        Files.createDirectories(OUT);
    }

    @AfterAll
    static void stop() {
        if (tower != null) {
            tower.close();
        }
    }

    @Test
    void theRelayPassesH2specAndNginxAndHaproxyAreMeasuredBesideIt() throws Exception {
        Result relayResult;
        try (RelayServer relay = TlsRelays.start(TlsRelays.config(certs, tower.hostAndPort()))) {
            relayResult = h2spec("relay", relay.listenAddress().getPort());
        }
        Result nginxResult = nginx();
        Result haproxyResult = haproxy();
        String summary = "h2spec 2.2.1, TLS + ALPN, -o 5, same run\n"
                + "tower-relay: " + relayResult + "\n"
                + "nginx " + version("/usr/sbin/nginx", "-v") + ": " + nginxResult + "\n"
                + "haproxy " + version(HAPROXY.toString(), "-v") + ": " + haproxyResult + "\n"
                + "tower-relay failures: " + relayResult.failed() + "\n";
        Files.writeString(OUT.resolve("summary.txt"), summary);
        System.out.println(summary);

        assertThat(relayResult.tests()).isEqualTo(145);
        assertThat(relayResult.failed()).as(summary).isEmpty();
        assertThat(relayResult.passed()).isEqualTo(145);
    }

    private static Result nginx() throws Exception {
        String server = """
                server {
                    listen 127.0.0.1:{{PORT}} ssl http2;
                    ssl_certificate {{PREFIX}}/cert.pem;
                    ssl_certificate_key {{PREFIX}}/key.pem;
                    location / {
                        proxy_http_version 1.1;
                        proxy_set_header Host $http_host;
                        proxy_pass http://%s;
                    }
                }
                """.formatted(tower.hostAndPort());
        try (NginxServer nginx = NginxServer.start(server, Map.of("cert.pem", Files.readAllBytes(certs.certPem),
                "key.pem", Files.readAllBytes(certs.keyPem)))) {
            return h2spec("nginx", nginx.port());
        }
    }

    private static Result haproxy() throws Exception {
        Path pem = dir.resolve("haproxy.pem");
        Files.write(pem, concat(Files.readAllBytes(certs.certPem), Files.readAllBytes(certs.keyPem)));
        int port = freePort();
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, """
                global
                    maxconn 1000
                defaults
                    mode http
                    timeout connect 5s
                    timeout client 30s
                    timeout server 30s
                frontend fe
                    bind 127.0.0.1:%d ssl crt %s alpn h2,http/1.1
                    default_backend tower
                backend tower
                    server tower %s
                """.formatted(port, pem, tower.hostAndPort()));
        Process haproxy = new ProcessBuilder(HAPROXY.toString(), "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        try {
            waitForPort(port);
            return h2spec("haproxy", port);
        } finally {
            haproxy.destroy();
            haproxy.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static Result h2spec(String name, int port) throws Exception {
        Path report = OUT.resolve(name + ".xml");
        Files.deleteIfExists(report);
        Process p = new ProcessBuilder(H2SPEC.toString(), "-t", "-k", "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-o", "5", "-j", report.toString())
                .redirectErrorStream(true).redirectOutput(OUT.resolve(name + ".txt").toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("h2spec against %s finished", name).isTrue();
        return parse(Files.readString(report));
    }

    /** Counts h2spec's JUnit report: a case failed when it has an error or failure element. */
    static Result parse(String junit) {
        Matcher m = Pattern.compile("<testcase package=\"([^\"]*)\" classname=\"([^\"]*)\"[^>]*>(.*?)</testcase>",
                Pattern.DOTALL).matcher(junit);
        int tests = 0;
        int skipped = 0;
        List<String> failed = new ArrayList<>();
        while (m.find()) {
            tests++;
            String body = m.group(3);
            if (body.contains("<skipped")) {
                skipped++;
            } else if (body.contains("<error") || body.contains("<failure")) {
                failed.add(m.group(1) + ": " + m.group(2));
            }
        }
        return new Result(tests, tests - skipped - failed.size(), skipped, failed);
    }

    private static String version(String binary, String flag) {
        try {
            Process p = new ProcessBuilder(binary, flag).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("(\\d+\\.\\d+\\.\\d+)").matcher(out);
            return m.find() ? m.group(1) : "?";
        } catch (IOException | InterruptedException e) {
            return "?";
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void waitForPort(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("haproxy did not listen on " + port);
    }
}

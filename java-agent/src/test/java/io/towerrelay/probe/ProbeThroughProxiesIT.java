package io.towerrelay.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.testsupport.ApacheServer;
import io.towerrelay.testsupport.NginxServer;
import io.towerrelay.testsupport.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe pointed at real proxies (Debian's NGINX and Apache, run on loopback) in front of the mock
 * Tower, set up right and set up in each of the ways that break live events. Every test asserts what the
 * probe diagnosed, not just whether it passed.
 */
class ProbeThroughProxiesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static MockTower tower;

    @BeforeAll
    static void startTower() throws Exception {
        tower = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofMillis(100)));
    }

    @AfterAll
    static void stopTower() throws Exception {
        tower.close();
    }

    private static String upstream() {
        return "http://" + tower.hostAndPort();
    }

    /** An NGINX location that passes WebSockets the way the nginx role renders it, plus {@code extra}. */
    private static String nginxServer(String listen, String extra) {
        return """
                map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                server {
                    %s
                    location / {
                        proxy_pass %s;
                        proxy_http_version 1.1;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        proxy_read_timeout 1h;
                        %s
                    }
                }
                """.formatted(listen, upstream(), extra);
    }

    private static String nginxServer(String extra) {
        return nginxServer("listen 127.0.0.1:{{PORT}};", extra);
    }

    /**
     * NGINX set up right, serving TLS with a certificate for localhost / 127.0.0.1 from a CA made at test time;
     * it also listens on 127.0.0.2, an address the certificate does not name.
     */
    private static NginxServer startTlsNginx(TestCertificates certs) throws Exception {
        String tls = nginxServer("""
                listen 127.0.0.1:{{PORT}} ssl;
                listen 127.0.0.2:{{PORT}} ssl;
                ssl_certificate {{PREFIX}}/cert.pem;
                ssl_certificate_key {{PREFIX}}/key.pem;""", "proxy_set_header Host $http_host;");
        return NginxServer.start(tls, Map.of(
                "cert.pem", Files.readAllBytes(certs.certPem),
                "key.pem", Files.readAllBytes(certs.keyPem)));
    }

    private static ProbeReport probe(URI url) throws InterruptedException {
        return probe(ProbeOptions.of(url));
    }

    private static ProbeReport probe(ProbeOptions options) throws InterruptedException {
        return new LiveEventsProbe(options).run();
    }

    private static URI page(NginxServer nginx) {
        return URI.create(nginx.baseUrl() + "/");
    }

    private static String explain(ProbeReport report, String log) {
        return ReportWriter.human(report) + "\n" + log;
    }

    @Test
    void directToTheMockEverythingWorks() throws Exception {
        ProbeReport report = probe(URI.create(upstream() + "/"));

        assertThat(report.liveEventsWork()).as(ReportWriter.human(report)).isTrue();
        assertThat(report.check(CheckIds.handshake("/api/websocket/")).status()).isEqualTo(CheckStatus.PASS);
        assertThat(report.check(CheckIds.handshake("/websocket/")).status()).isEqualTo(CheckStatus.PASS);
        // No proxy, so nothing sets X-Forwarded-For: the probe says so, as a warning.
        assertThat(report.check(CheckIds.CLIENT_ADDRESS).cause()).isEqualTo(Cause.CLIENT_ADDRESS_NOT_FORWARDED);
    }

    @Test
    void httpsToAPlainHttpPortIsASchemeMismatch() throws Exception {
        ProbeReport report = probe(URI.create("https://" + tower.hostAndPort() + "/"));

        Check tls = report.check(CheckIds.TLS);
        assertThat(tls.cause()).as(ReportWriter.human(report)).isEqualTo(Cause.TLS_SCHEME_MISMATCH);
        assertThat(tls.summary()).contains("does not speak TLS", "answers HTTP/1.1");
        assertThat(report.failures()).extracting(Check::cause).containsExactly(Cause.TLS_SCHEME_MISMATCH);
        assertThat(report.exitCode()).isEqualTo(1);
    }

    @Test
    void nginxSetUpForWebSocketsPassesIncludingAnIdleWait() throws Exception {
        try (NginxServer nginx = NginxServer.start(nginxServer("proxy_set_header Host $http_host;"))) {
            ProbeReport report = probe(ProbeOptions.of(page(nginx)).withIdle(Duration.ofSeconds(2)));

            assertThat(report.liveEventsWork()).as(explain(report, nginx.errorLog())).isTrue();
            assertThat(report.exitCode()).isZero();
            assertThat(report.check(CheckIds.EVENTS).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.check(CheckIds.IDLE).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.check(CheckIds.HOST_HEADER).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.check(CheckIds.CLIENT_ADDRESS).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.check(CheckIds.CLIENT_ADDRESS).evidence())
                    .containsEntry("x-forwarded-for reaching Tower", "127.0.0.1");
        }
    }

    @Test
    void nginxWithoutUpgradeHeadersIsTheSeedsSymptom() throws Exception {
        String noUpgrade = """
                server {
                    listen 127.0.0.1:{{PORT}};
                    location / {
                        proxy_pass %s;
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    }
                }
                """.formatted(upstream());
        try (NginxServer nginx = NginxServer.start(noUpgrade)) {
            ProbeReport report = probe(page(nginx));

            for (String path : TowerProtocol.WEBSOCKET_PATHS) {
                Check handshake = report.check(CheckIds.handshake(path));
                assertThat(handshake.status()).as(explain(report, nginx.errorLog())).isEqualTo(CheckStatus.FAIL);
                assertThat(handshake.cause()).isEqualTo(Cause.UPGRADE_NOT_PASSED);
                // The mock's answer to the plain GET NGINX made of the handshake, relayed by NGINX.
                assertThat(handshake.evidence().get("body")).contains("without 'Upgrade: websocket'");
                assertThat(handshake.advice().nginx()).contains("proxy_http_version 1.1;");
                // What the same upgrade headers looked like when they reached Tower: NGINX's defaults.
                assertThat(handshake.evidence()).containsEntry("upgrade headers reaching Tower",
                        "HTTP/1.0, Upgrade: (none), Connection: close");
                assertThat(handshake.summary()).contains("missing: proxy_http_version 1.1;");
            }
            assertThat(report.check(CheckIds.PAGE).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.liveEventsWork()).isFalse();

            // The same through the command line: exit 1 and the cause in the JSON document.
            CliRun cli = CliRun.probe(page(nginx).toString(), "--json");
            assertThat(cli.exitCode()).as(cli.stderr()).isEqualTo(1);
            JsonNode doc = JSON.readTree(cli.stdout());
            assertThat(doc.get("live_events").asBoolean()).isFalse();
            assertThat(doc.get("cause").asText()).isEqualTo("upgrade-not-passed");
        }
    }

    @Test
    void theSeedsNginxSampleMissesTheNewerWebSocketPath() throws Exception {
        // The seed passes the upgrade only in "location /websocket/"; AWX 23.8+ uses /api/websocket/.
        String seed = """
                server {
                    listen 127.0.0.1:{{PORT}};
                    location / {
                        proxy_pass %1$s;
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    }
                    location /websocket/ {
                        proxy_pass %1$s/websocket/;
                        proxy_http_version 1.1;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection "upgrade";
                        proxy_set_header Host $http_host;
                    }
                }
                """.formatted(upstream());
        try (NginxServer nginx = NginxServer.start(seed)) {
            ProbeReport report = probe(page(nginx));

            assertThat(report.check(CheckIds.handshake("/websocket/")).status())
                    .as(explain(report, nginx.errorLog())).isEqualTo(CheckStatus.PASS);
            assertThat(report.check(CheckIds.handshake("/api/websocket/")).cause()).isEqualTo(Cause.UPGRADE_NOT_PASSED);
            assertThat(report.check(CheckIds.EVENTS).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void nginxReadTimeoutCutsTheIdleSocket() throws Exception {
        try (NginxServer nginx = NginxServer.start(nginxServer("proxy_set_header Host $http_host;")
                .replace("proxy_read_timeout 1h;", "proxy_read_timeout 5s;"))) {
            ProbeReport report = probe(ProbeOptions.of(page(nginx)).withIdle(Duration.ofSeconds(10)));

            Check idle = report.check(CheckIds.IDLE);
            assertThat(idle.status()).as(explain(report, nginx.errorLog())).isEqualTo(CheckStatus.FAIL);
            assertThat(idle.cause()).isEqualTo(Cause.IDLE_CUT);
            assertThat(idle.evidence().get("close")).contains("by the far end");
            assertThat(idle.advice().nginx()).contains("proxy_read_timeout 1h;");
            assertThat(report.check(CheckIds.EVENTS).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void nginxRewritingHostFailsTowersCsrfCheck() throws Exception {
        // Without "proxy_set_header Host", NGINX sends the proxy_pass host: 127.0.0.1:<mock port>.
        try (NginxServer nginx = NginxServer.start(nginxServer(""))) {
            ProbeReport report = probe(page(nginx));

            Check host = report.check(CheckIds.HOST_HEADER);
            assertThat(host.status()).as(explain(report, nginx.errorLog())).isEqualTo(CheckStatus.FAIL);
            assertThat(host.cause()).isEqualTo(Cause.HOST_REWRITTEN);
            assertThat(host.evidence()).containsEntry("host reaching Tower", tower.hostAndPort());
            assertThat(host.evidence().get("same-origin POST")).startsWith("403").contains("CSRF Failed");
            assertThat(host.advice().nginx()).isEqualTo("proxy_set_header Host $http_host;");
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void nginxDroppingCookiesGetsTheHandshakeRefused() throws Exception {
        try (NginxServer nginx = NginxServer.start(nginxServer(
                "proxy_set_header Host $http_host;\nproxy_set_header Cookie \"\";"))) {
            ProbeReport report = probe(page(nginx));

            for (String path : TowerProtocol.WEBSOCKET_PATHS) {
                Check handshake = report.check(CheckIds.handshake(path));
                assertThat(handshake.status()).as(explain(report, nginx.errorLog())).isEqualTo(CheckStatus.FAIL);
                assertThat(handshake.cause()).isEqualTo(Cause.COOKIES_NOT_PASSED);
                assertThat(handshake.evidence()).containsEntry("answer", "HTTP/1.1 403 Forbidden");
            }
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void wssWithAPrivateCaNeedsTheCa(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (NginxServer nginx = startTlsNginx(certs)) {
            URI https = URI.create("https://127.0.0.1:" + nginx.port() + "/");

            ProbeReport untrusted = probe(https);
            Check tlsCheck = untrusted.check(CheckIds.TLS);
            assertThat(tlsCheck.status()).as(explain(untrusted, nginx.errorLog())).isEqualTo(CheckStatus.FAIL);
            assertThat(tlsCheck.cause()).isEqualTo(Cause.TLS_UNTRUSTED);
            assertThat(tlsCheck.advice().fix()).contains("--ca");
            assertThat(untrusted.exitCode()).isEqualTo(1);

            ProbeReport trusted = probe(ProbeOptions.of(https).withCaFile(certs.caPem));
            assertThat(trusted.liveEventsWork()).as(explain(trusted, nginx.errorLog())).isTrue();
            assertThat(trusted.check(CheckIds.TLS).status()).isEqualTo(CheckStatus.PASS);
            assertThat(trusted.check(CheckIds.handshake("/api/websocket/")).evidence().get("url")).startsWith("wss://");
            assertThat(trusted.check(CheckIds.CLIENT_ADDRESS).evidence())
                    .containsEntry("x-forwarded-proto reaching Tower", "https");

            // ws:// vs wss://: the plain-HTTP URL on the TLS port is named as such.
            ProbeReport plain = probe(URI.create("http://127.0.0.1:" + nginx.port() + "/"));
            assertThat(plain.check(CheckIds.TLS).cause()).isEqualTo(Cause.TLS_SCHEME_MISMATCH);
        }
    }

    @Test
    void withCredentialsTheProbeReadsRemoteHostHeaders() throws Exception {
        // A Tower of its own: this test changes its settings.
        try (MockTower own = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofMillis(100)));
                NginxServer nginx = NginxServer.start(nginxServer("proxy_set_header Host $http_host;")
                        .replace(upstream(), "http://" + own.hostAndPort()))) {
            ProbeOptions withLogin = ProbeOptions.of(page(nginx)).withCredentials(
                    MockTowerOptions.DEFAULT_ADMIN_USER, MockTowerOptions.DEFAULT_ADMIN_PASSWORD);

            Check before = probe(withLogin).check(CheckIds.CLIENT_ADDRESS);
            assertThat(before.status()).as(nginx.errorLog()).isEqualTo(CheckStatus.WARN);
            assertThat(before.cause()).isEqualTo(Cause.REMOTE_HOST_HEADERS_MISSING);
            assertThat(before.advice().tower()).contains("\"HTTP_X_FORWARDED_FOR\"");

            HttpResponse<String> patched = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://" + own.hostAndPort() + "/api/v2/settings/system/"))
                    .method("PATCH", HttpRequest.BodyPublishers.ofString(
                            "{\"REMOTE_HOST_HEADERS\": [\"HTTP_X_FORWARDED_FOR\", \"REMOTE_ADDR\", \"REMOTE_HOST\"]}"))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                            (MockTowerOptions.DEFAULT_ADMIN_USER + ":" + MockTowerOptions.DEFAULT_ADMIN_PASSWORD)
                                    .getBytes(StandardCharsets.UTF_8)))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);

            ProbeReport after = probe(withLogin);
            assertThat(after.check(CheckIds.CLIENT_ADDRESS).status()).as(ReportWriter.human(after))
                    .isEqualTo(CheckStatus.PASS);
            assertThat(after.liveEventsWork()).isTrue();
        }
    }

    @Test
    void nginxClosingTheUpgradeWithoutAnswerIsClosedBeforeEstablished() throws Exception {
        // "return 444" makes NGINX close the connection without any response, as some filters and WAFs do.
        String closing = nginxServer("proxy_set_header Host $http_host;").replace("    location / {",
                "    location ~ ^/(api/)?websocket/ { return 444; }\n    location / {");
        try (NginxServer nginx = NginxServer.start(closing)) {
            ProbeReport report = probe(page(nginx));

            for (String path : TowerProtocol.WEBSOCKET_PATHS) {
                Check handshake = report.check(CheckIds.handshake(path));
                assertThat(handshake.cause()).as(explain(report, nginx.errorLog()))
                        .isEqualTo(Cause.CLOSED_BEFORE_ESTABLISHED);
                assertThat(handshake.evidence()).doesNotContainKey("answer");
            }
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void nginxGivingUpOnAStuckUpstreamAnswers504() throws Exception {
        // An upstream that takes the handshake and never answers (a hung or overloaded Tower web tier).
        try (StuckUpstream stuck = new StuckUpstream()) {
            String stuckWebSockets = nginxServer("proxy_set_header Host $http_host;").replace("    location / {", """
                        location ~ ^/(api/)?websocket/ {
                            proxy_pass http://127.0.0.1:%d;
                            proxy_http_version 1.1;
                            proxy_set_header Upgrade $http_upgrade;
                            proxy_set_header Connection $connection_upgrade;
                            proxy_read_timeout 2s;
                        }
                        location / {""".formatted(stuck.port()));
            try (NginxServer nginx = NginxServer.start(stuckWebSockets)) {
                ProbeReport report = probe(page(nginx));

                Check handshake = report.check(CheckIds.handshake("/websocket/"));
                assertThat(handshake.cause()).as(explain(report, nginx.errorLog()))
                        .isEqualTo(Cause.HANDSHAKE_TIMED_OUT);
                assertThat(handshake.evidence().get("answer")).contains("504");
                assertThat(handshake.summary()).contains("Unexpected response code: 504");
            }
        }
    }

    @Test
    void aCertificateForAnotherHostIsAHostNameMismatch(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (NginxServer nginx = startTlsNginx(certs)) {
            // Trusted CA, but the certificate names localhost and 127.0.0.1, not 127.0.0.2.
            URI https = URI.create("https://127.0.0.2:" + nginx.port() + "/");

            ProbeReport report = probe(ProbeOptions.of(https).withCaFile(certs.caPem));

            Check tls = report.check(CheckIds.TLS);
            assertThat(tls.cause()).as(explain(report, nginx.errorLog())).isEqualTo(Cause.TLS_HOSTNAME_MISMATCH);
            assertThat(tls.summary()).contains("does not match the host 127.0.0.2");
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void wssWithInsecureWorksButSaysTheCertificateWasNotChecked(@TempDir Path dir) throws Exception {
        try (NginxServer nginx = startTlsNginx(TestCertificates.create(dir))) {
            URI https = URI.create("https://127.0.0.1:" + nginx.port() + "/");
            ProbeOptions insecure = new ProbeOptions(https, Duration.ofSeconds(10), Duration.ZERO, null, true, null,
                    null, 3, "1");

            ProbeReport report = probe(insecure);

            assertThat(report.liveEventsWork()).as(explain(report, nginx.errorLog())).isTrue();
            assertThat(report.check(CheckIds.TLS).status()).isEqualTo(CheckStatus.WARN);
        }
    }

    @Test
    void apacheSetUpForWebSocketsPasses() throws Exception {
        try (ApacheServer apache = ApacheServer.start("""
                ProxyPreserveHost On
                ProxyPass        / %1$s/ upgrade=websocket timeout=3600
                ProxyPassReverse / %1$s/
                """.formatted(upstream()))) {
            ProbeReport report = probe(apache.url());

            assertThat(report.liveEventsWork()).as(explain(report, apache.logs())).isTrue();
            assertThat(report.check(CheckIds.handshake("/api/websocket/")).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.check(CheckIds.HOST_HEADER).status()).isEqualTo(CheckStatus.PASS);
            assertThat(report.check(CheckIds.CLIENT_ADDRESS).status()).isEqualTo(CheckStatus.PASS);
        }
    }

    @Test
    void apacheWithoutTheUpgradeOptionDoesNotPassWebSockets() throws Exception {
        try (ApacheServer apache = ApacheServer.start("""
                ProxyPreserveHost On
                ProxyPass        / %1$s/
                ProxyPassReverse / %1$s/
                """.formatted(upstream()))) {
            ProbeReport report = probe(apache.url());

            Check handshake = report.check(CheckIds.handshake("/websocket/"));
            assertThat(handshake.cause()).as(explain(report, apache.logs())).isEqualTo(Cause.UPGRADE_NOT_PASSED);
            assertThat(handshake.advice().apache()).contains("upgrade=websocket");
            assertThat(handshake.summary()).contains("only with upgrade=websocket on the ProxyPass line");
        }
    }

    @Test
    void apacheWithoutProxyPreserveHostRewritesHost() throws Exception {
        try (ApacheServer apache = ApacheServer.start("""
                ProxyPass        / %1$s/ upgrade=websocket
                ProxyPassReverse / %1$s/
                """.formatted(upstream()))) {
            ProbeReport report = probe(apache.url());

            Check host = report.check(CheckIds.HOST_HEADER);
            assertThat(host.cause()).as(explain(report, apache.logs())).isEqualTo(Cause.HOST_REWRITTEN);
            assertThat(host.advice().apache()).isEqualTo("ProxyPreserveHost On");
        }
    }

    /** The built jar, run the way admins and the Ansible module run it. */
    record CliRun(int exitCode, String stdout, String stderr) {
        static CliRun probe(String... args) throws Exception {
            String jar = System.getProperty("towerrelay.jar", "target/tower-relay.jar");
            var command = new java.util.ArrayList<>(java.util.List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar, "probe"));
            command.addAll(java.util.List.of(args));
            Process p = new ProcessBuilder(command).start();
            var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("probe did not finish");
            }
            return new CliRun(p.exitValue(), out.get(), err.get());
        }

        private static String read(java.io.InputStream in) {
            try {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}

package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.towerrelay.config.Addresses;
import io.towerrelay.config.ListenConfig;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.proxy.RelayServer;
import io.towerrelay.testsupport.HeadlessChromium;
import io.towerrelay.testsupport.NginxServer;
import io.towerrelay.testsupport.TestCertificates;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/** The job output page in a real (headless Debian) Chromium. */
class JobOutputPageBrowserIT {

    private MockTower tower;
    private HeadlessChromium chromium;

    @BeforeEach
    void start() throws Exception {
        tower = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofMillis(100)));
        chromium = HeadlessChromium.start();
    }

    @AfterEach
    void stop() {
        if (chromium != null) {
            chromium.close();
        }
        tower.close();
    }

    @Test
    void throughTheRelayThePageShowsLiveJobEvents() throws Exception {
        RelayConfig config = RelayConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0))
                .withAdmin(null)
                .withUpstream(URI.create("http://" + tower.hostAndPort()));
        try (RelayServer relay = RelayServer.start(config)) {
            WebDriver driver = chromium.driver();
            driver.get("http://" + Addresses.format(relay.listenAddress()) + "/");

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> driver.findElements(By.cssSelector("#stdout .event")).size() >= 10);
            assertThat(driver.findElement(By.id("job-status")).getAttribute("data-status")).isEqualTo("running");
            assertThat(driver.findElement(By.id("live-text")).getText()).isEqualTo("Live events connected");
            assertThat(driver.findElement(By.id("ws-error")).isDisplayed()).isFalse();
            assertThat(tower.receivedRequests())
                    .anySatisfy(r -> assertThat(r.path().equals("/websocket/") && r.isWebSocketUpgrade()
                            && r.header("X-Forwarded-For").isPresent()).isTrue());
            chromium.screenshot("job-output-through-relay");
        }
    }

    @Test
    void overHttpsThePageLoadsOverHttp2AndUsesWssThroughTheRelaysTlsListener(@TempDir Path dir) throws Exception {
        TestCertificates certificates = TestCertificates.create(dir);
        RelayConfig config = RelayConfig.defaults()
                .withListen(ListenConfig.defaults().withAddress(new InetSocketAddress("127.0.0.1", 0))
                        .withTls(new TlsFiles(certificates.certPem, certificates.keyPem)))
                .withAdmin(null)
                .withUpstream(URI.create("http://" + tower.hostAndPort()));
        chromium.close();
        chromium = HeadlessChromium.start("--ignore-certificate-errors");
        try (RelayServer relay = RelayServer.start(config)) {
            WebDriver driver = chromium.driver();
            driver.get("https://" + Addresses.format(relay.listenAddress()) + "/");

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> driver.findElements(By.cssSelector("#stdout .event")).size() >= 10);
            // The page came over HTTP/2 (ALPN on the TLS listener); its WebSocket over HTTP/1.1 on a second
            // connection to the same listener, since the relay does not offer RFC 8441 WebSockets over HTTP/2.
            assertThat(((JavascriptExecutor) driver).executeScript(
                    "return performance.getEntriesByType('navigation')[0].nextHopProtocol")).isEqualTo("h2");
            assertThat(driver.findElement(By.id("ws-error")).isDisplayed()).isFalse();
            assertThat(relay.metrics().render(0))
                    .containsPattern("towerrelay_http_requests_by_protocol_total\\{protocol=\"HTTP/2.0\"} [1-9]")
                    .containsPattern("towerrelay_websocket_tunnels_active [1-9]");
            assertThat(tower.receivedRequests())
                    .anySatisfy(r -> assertThat(r.path().equals("/websocket/") && r.isWebSocketUpgrade()
                            && r.header("X-Forwarded-Proto").orElse("").equals("https")).isTrue());
            chromium.screenshot("job-output-through-relay-tls");
        }
    }

    @Test
    void pageStreamsJobEventsStraightFromTheMock() {
        WebDriver driver = chromium.driver();
        driver.get("http://" + tower.hostAndPort() + "/");

        await().atMost(Duration.ofSeconds(60))
                .until(() -> driver.findElements(By.cssSelector("#stdout .event")).size() >= 10);
        assertThat(driver.findElement(By.id("job-status")).getAttribute("data-status")).isEqualTo("running");
        assertThat(driver.findElement(By.id("live-text")).getText()).isEqualTo("Live events connected");
        assertThat(driver.findElement(By.id("ws-error")).isDisplayed()).isFalse();
        assertThat(driver.findElement(By.cssSelector("#stdout .event[data-counter='1']")).getText())
                .contains("PLAY [Deploy web tier] ***");
        assertThat(driver.findElements(By.cssSelector("#stdout .line .ln"))).extracting(e -> e.getText())
                .startsWith("1", "2", "3", "4");
        chromium.screenshot("job-output-direct");
    }

    @Test
    void behindNginxThatPassesTheUpgradeTheEventsFlow() throws Exception {
        String config = """
                map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                server {
                    listen 127.0.0.1:{{PORT}};
                    location / {
                        proxy_http_version 1.1;
                        proxy_set_header Host $http_host;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_pass http://%s;
                    }
                }
                """.formatted(tower.hostAndPort());
        try (NginxServer nginx = NginxServer.start(config)) {
            WebDriver driver = chromium.driver();
            driver.get(nginx.baseUrl() + "/");

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> driver.findElements(By.cssSelector("#stdout .event")).size() >= 10);
            assertThat(driver.findElement(By.id("ws-error")).isDisplayed()).isFalse();
            assertThat(tower.receivedRequests())
                    .anySatisfy(r -> assertThat(r.path().equals("/websocket/") && r.isWebSocketUpgrade()).isTrue());
        }
    }

    @Test
    void anIdleTimeoutInTheProxyCutsTheSocketAndThePageSaysSoThenReconnects() throws Exception {
        tower.close();
        // Events further apart than NGINX's proxy_read_timeout: every quiet spell is cut, like a job that
        // runs a long task behind a proxy left at its 60 s default.
        tower = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofSeconds(4))
                .withPingInterval(Duration.ZERO));
        String config = """
                map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                server {
                    listen 127.0.0.1:{{PORT}};
                    location / {
                        proxy_http_version 1.1;
                        proxy_set_header Host $http_host;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_read_timeout 2s;
                        proxy_pass http://%s;
                    }
                }
                """.formatted(tower.hostAndPort());
        try (NginxServer nginx = NginxServer.start(config)) {
            WebDriver driver = chromium.driver();
            driver.get(nginx.baseUrl() + "/");

            String cut = "WebSocket connection to 'ws://127.0.0.1:" + nginx.port() + "/websocket/' closed: close code 1006";
            await().atMost(Duration.ofSeconds(60)).until(() -> driver.findElement(By.id("ws-error")).isDisplayed()
                    && driver.findElement(By.id("ws-error")).getText().contains(cut));
            assertThat(driver.findElement(By.id("ws-error")).getText()).contains("proxy_read_timeout");
            chromium.screenshot("job-output-nginx-idle-timeout");
            // The page reconnects by itself, and the job's output continues where it was.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> driver.findElement(By.id("live-text")).getText().equals("Live events connected"));
            assertThat(tower.receivedRequests()).filteredOn(r -> r.path().equals("/websocket/")).hasSizeGreaterThan(1);
        }
    }

    @Test
    void behindNginxThatDropsTheUpgradeHeadersThePageShowsTheBrowsersError() throws Exception {
        // The mistake the seed document is about: a plain proxy_pass, no Upgrade/Connection for /websocket/.
        String config = """
                server {
                    listen 127.0.0.1:{{PORT}};
                    location / {
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_pass http://%s;
                    }
                }
                """.formatted(tower.hostAndPort());
        try (NginxServer nginx = NginxServer.start(config)) {
            WebDriver driver = chromium.driver();
            driver.get(nginx.baseUrl() + "/");

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> driver.findElement(By.id("ws-error")).isDisplayed()
                            && driver.findElement(By.id("ws-error-hint")).getText().contains("answered 400"));
            String error = driver.findElement(By.id("ws-error")).getText();
            assertThat(error)
                    .contains("WebSocket connection to 'ws://127.0.0.1:" + nginx.port() + "/websocket/' failed")
                    .contains("WebSocket is closed before the connection is established")
                    .contains("close code 1006")
                    .contains("without 'Upgrade: websocket'");
            assertThat(driver.findElements(By.cssSelector("#stdout .event"))).isEmpty();
            assertThat(driver.findElement(By.id("live-text")).getText()).isEqualTo("Live events disconnected");
            // The console says what the seed document quotes.
            assertThat(chromium.consoleLog()).contains("Error during WebSocket handshake: Unexpected response code: 400");
            chromium.screenshot("job-output-nginx-without-upgrade");
        }
    }
}

package io.towerrelay.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a reload says it changed, what it keeps for a restart, and the config it then runs with. */
class ConfigChangesTest {
    @TempDir
    Path dir;

    private static final String BASE = """
            listen:
              address: 127.0.0.1:8080
            admin:
              address: 127.0.0.1:9180
            upstream:
              nodes:
                - url: https://a:443
                - url: https://c:443
              pool-size: 64
            limits:
              max-connections: 1000
            """;

    private RelayConfig load(String yaml) throws Exception {
        Path file = Files.writeString(dir.resolve("relay-" + System.nanoTime() + ".yml"), yaml);
        return RelayConfigLoader.load(file);
    }

    @Test
    void theSameFileChangesNothing() throws Exception {
        ConfigChanges changes = ConfigChanges.between(load(BASE), load(BASE));
        assertThat(changes.applied()).isEmpty();
        assertThat(changes.needRestart()).isEmpty();
        assertThat(changes.describe()).isEqualTo("no changes");
        assertThat(changes.effective()).isEqualTo(load(BASE));
    }

    @Test
    void nodesAndLimitsAreDescribedOldToNew() throws Exception {
        RelayConfig next = load(BASE.replace("- url: https://c:443", "- url: https://b:443\n      drain: false")
                .replace("- url: https://a:443", "- url: https://a:443\n      drain: true")
                .replace("max-connections: 1000", "max-connections: 2000"));
        ConfigChanges changes = ConfigChanges.between(load(BASE), next);
        assertThat(changes.describe()).isEqualTo(
                "upstream.nodes https://a:443 drain +https://b:443 -https://c:443, limits.max-connections 1000->2000");
        assertThat(changes.needRestart()).isEmpty();
        assertThat(changes.effective()).isEqualTo(next);
    }

    @Test
    void timeoutsListsAndAccessLogAreDescribed() throws Exception {
        RelayConfig next = load((BASE + """
                websocket:
                  idle-timeout: 2h
                  allowed-origins: ["https://tower.example.com"]
                  blocked-paths: ["/websocket/relay/"]
                forwarded:
                  trusted-proxies: [10.0.0.0/8]
                access-log: json
                """).replace("  pool-size: 64", "  pool-size: 64\n  response-timeout: 90s"));
        ConfigChanges changes = ConfigChanges.between(load(BASE), next);
        assertThat(changes.applied()).containsExactly(
                "upstream.response-timeout 1m->90s",
                "websocket.idle-timeout 1h->2h",
                "websocket.allowed-origins []->[https://tower.example.com]",
                "websocket.blocked-paths [/websocket/broadcast/,/websocket/relay/]->[/websocket/relay/]",
                "forwarded.trusted-proxies []->[10.0.0.0/8]",
                "access-log combined->json");
        assertThat(changes.effective().upstream().responseTimeout()).isEqualTo(Timeout.ofSeconds(90));
    }

    @Test
    void restartOnlyKeysAreListedAndKeptAsTheyRunWhileTheRestIsApplied() throws Exception {
        RelayConfig running = load(BASE);
        RelayConfig next = load(BASE.replace("127.0.0.1:8080", "127.0.0.1:8081")
                .replace("address: 127.0.0.1:9180", "address: \"off\"")
                .replace("pool-size: 64", "pool-size: 8\n  tls-verify: false")
                .replace("max-connections: 1000", "max-connections: 10") + "io-threads: 2\n");
        ConfigChanges changes = ConfigChanges.between(running, next);
        assertThat(changes.needRestart()).containsExactly(
                "listen.address changed (127.0.0.1:8080->127.0.0.1:8081)",
                "admin.address changed (127.0.0.1:9180->off)",
                "upstream.tls-verify changed (true->false)",
                "upstream.pool-size changed (64->8)",
                "io-threads changed (auto->2)");
        assertThat(changes.describe()).isEqualTo("limits.max-connections 1000->10");
        RelayConfig effective = changes.effective();
        assertThat(effective.listen().address()).isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
        assertThat(effective.admin().address()).isEqualTo(new InetSocketAddress("127.0.0.1", 9180));
        assertThat(effective.upstream().tlsVerify()).isTrue();
        assertThat(effective.upstream().poolSize()).isEqualTo(64);
        assertThat(effective.ioThreads()).isEqualTo(RelayConfig.AUTO_IO_THREADS);
        assertThat(effective.limits().maxConnections()).isEqualTo(10);
        // A second reload of the same file warns again: the restart has not happened yet.
        assertThat(ConfigChanges.between(effective, next).needRestart()).hasSize(5);
        assertThat(ConfigChanges.between(effective, next).applied()).isEmpty();
    }

    @Test
    void nodesChangingSchemeNeedARestartAndTheNodeListStays() throws Exception {
        RelayConfig running = load(BASE);
        RelayConfig next = load(BASE.replace("https://a:443", "http://a:80").replace("https://c:443", "http://b:80"));
        ConfigChanges changes = ConfigChanges.between(running, next);
        assertThat(changes.needRestart()).containsExactly(
                "upstream.nodes changed (https->http; the node list stays as it is)");
        assertThat(changes.applied()).isEmpty();
        assertThat(changes.effective().upstream().nodes()).isEqualTo(running.upstream().nodes());
    }

    @Test
    void listenerTlsOnOrOffNeedsARestartButNewCertificateFilesAreTaken() throws Exception {
        Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
        Path key = Files.writeString(dir.resolve("key.pem"), "x");
        Path cert2 = Files.writeString(dir.resolve("cert2.pem"), "x");
        String tls = BASE.replace("  address: 127.0.0.1:8080", "  address: 127.0.0.1:8080\n  tls:\n    certificate: "
                + cert + "\n    key: " + key);
        RelayConfig plain = load(BASE);
        RelayConfig secure = load(tls);
        assertThat(ConfigChanges.between(plain, secure).needRestart()).containsExactly("listen.tls changed (off->on)");
        assertThat(ConfigChanges.between(plain, secure).effective().listen().tlsEnabled()).isFalse();

        ConfigChanges renamed = ConfigChanges.between(secure, load(tls.replace(cert.toString(), cert2.toString())));
        assertThat(renamed.needRestart()).isEmpty();
        assertThat(renamed.describe()).isEqualTo("listen.tls.certificate " + cert + "->" + cert2);
        assertThat(renamed.effective().listen().tls().certificate()).isEqualTo(cert2);
    }

    @Test
    void aNodeIsTheSameNodeByHostAndPort() {
        assertThat(ConfigChanges.nodeChanges(
                java.util.List.of(UpstreamNode.of(URI.create("https://a")), UpstreamNode.of(URI.create("https://b:8443"))),
                java.util.List.of(UpstreamNode.of(URI.create("https://a:443/")), new UpstreamNode(URI.create("https://b:8443"), true))))
                .isEqualTo("https://b:8443 drain");
    }
}

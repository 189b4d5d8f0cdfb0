package io.towerrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayConfigLoaderTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("relay.yml");
        Files.writeString(file, yaml);
        return file;
    }

    private void assertError(String yaml, String expected) throws Exception {
        Path file = write(yaml);
        assertThatThrownBy(() -> RelayConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ":" + expected);
    }

    @Test
    void minimalFileGetsEveryDefault() throws Exception {
        RelayConfig config = RelayConfigLoader.load(write("upstream:\n  url: http://127.0.0.1:8052\n"));
        assertThat(config.upstream().url()).isEqualTo(URI.create("http://127.0.0.1:8052"));
        assertThat(config.listen().address()).isEqualTo(new InetSocketAddress("0.0.0.0", 8080));
        assertThat(config.listen().tlsEnabled()).isFalse();
        assertThat(config.admin().address()).isEqualTo(new InetSocketAddress("127.0.0.1", 9180));
        assertThat(config.upstream().tlsVerify()).isTrue();
        assertThat(config.upstream().connectTimeout()).isEqualTo(Timeout.ofSeconds(10));
        assertThat(config.upstream().responseTimeout()).isEqualTo(Timeout.ofSeconds(60));
        assertThat(config.websocket().idleTimeout()).isEqualTo(Timeout.ofHours(1));
        assertThat(config.websocket().allowedOrigins()).isEmpty();
        assertThat(config.websocket().blockedPaths()).containsExactly("/websocket/relay/", "/websocket/broadcast/");
        assertThat(config.forwarded().trustedProxies()).isEmpty();
        assertThat(config.accessLog()).isEqualTo(AccessLogFormat.COMBINED);
        assertThat(config.shutdownGrace()).isEqualTo(Timeout.ofSeconds(30));
        assertThat(config.ioThreads()).isEqualTo(RelayConfig.AUTO_IO_THREADS);
        assertThat(config.ioThreadCount()).isEqualTo(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void everyKeyIsRead() throws Exception {
        Files.writeString(dir.resolve("cert.pem"), "x");
        Files.writeString(dir.resolve("key.pem"), "x");
        Files.writeString(dir.resolve("ca.pem"), "x");
        RelayConfig config = RelayConfigLoader.load(write(String.join("\n",
                "listen:",
                "  address: \"[::1]:8443\"",
                "  tls:",
                "    certificate: cert.pem",
                "    key: key.pem",
                "admin:",
                "  address: \"off\"",
                "upstream:",
                "  url: https://tower.internal:8443",
                "  ca-file: ca.pem",
                "  connect-timeout: 500ms",
                "  response-timeout: 1h30m",
                "  pool-size: 8",
                "websocket:",
                "  idle-timeout: 2h",
                "  handshake-timeout: 10s",
                "  allowed-origins:",
                "    - https://Tower.Example.com",
                "  blocked-paths: []",
                "forwarded:",
                "  trusted-proxies: [10.0.0.0/8, \"::1\"]",
                "limits:",
                "  max-request-line-bytes: 4096",
                "  max-header-bytes: 16384",
                "  max-connections: 100",
                "  client-idle-timeout: 5m",
                "access-log: json",
                "shutdown-grace: 5s",
                "io-threads: 3",
                "")));
        assertThat(config.listen().address().getPort()).isEqualTo(8443);
        assertThat(config.listen().tls().certificate()).isEqualTo(dir.resolve("cert.pem"));
        assertThat(config.admin().enabled()).isFalse();
        assertThat(config.upstream().caFile()).isEqualTo(dir.resolve("ca.pem"));
        assertThat(config.upstream().connectTimeout()).isEqualTo(Timeout.ofMilliseconds(500));
        assertThat(config.upstream().responseTimeout()).isEqualTo(Timeout.ofMinutes(90));
        assertThat(config.upstream().poolSize()).isEqualTo(8);
        assertThat(config.websocket().allowedOrigins()).isEqualTo(Set.of("https://tower.example.com"));
        assertThat(config.websocket().blockedPaths()).isEmpty();
        assertThat(config.forwarded().trustedProxies()).extracting(Cidr::toString).containsExactly("10.0.0.0/8", "0:0:0:0:0:0:0:1/128");
        assertThat(config.limits().maxConnections()).isEqualTo(100);
        assertThat(config.accessLog()).isEqualTo(AccessLogFormat.JSON);
        assertThat(config.shutdownGrace()).isEqualTo(Timeout.ofSeconds(5));
        assertThat(config.ioThreads()).isEqualTo(3);
        assertThat(config.ioThreadCount()).isEqualTo(3);
    }

    @Test
    void mistakesNameFileLineAndKey() throws Exception {
        assertError("upstream:\n  url: http://x\n  timeout: 5s\n", "3: upstream.timeout: unknown key (valid here: ca-file, connect-timeout, health-check, nodes, pool-size, response-timeout, tls-verify, url)");
        assertError("upstream:\n  url: ftp://x\n", "2: upstream.url: \"ftp://x\" must start with http:// or https://");
        assertError("upstream:\n  url: http://tower/api/\n", "2: upstream.url: \"http://tower/api/\" has a path; the relay forwards request paths unchanged, give only scheme://host:port");
        assertError("upstream:\n  url: http://x\nwebsocket:\n  idle-timeout: 0s\n", "4: websocket.idle-timeout: must be longer than 0, got \"0s\"");
        assertError("upstream:\n  url: http://x\nforwarded:\n  trusted-proxies:\n    - 10.0.0.0/8\n    - 10.0.0.0/33\n", "6: forwarded.trusted-proxies[1]: \"10.0.0.0/33\": prefix length must be 0-32");
        assertError("upstream:\n  url: http://x\nlimits:\n  max-connections: many\n", "4: limits.max-connections: \"many\" is not a whole number");
        assertError("upstream:\n  url: http://x\nio-threads: 0\n", "3: io-threads: 0 is out of range 1-1024");
        assertError("upstream:\n  url: http://x\nio-threads: all\n", "3: io-threads: \"all\" is not a whole number");
        assertError("upstream:\n  url: http://x\naccess-log: verbose\n", "3: access-log: \"verbose\" is not one of combined, json, off");
        assertError("upstream:\n  url: http://x\nlisten:\n  tls:\n    certificate: /nonexistent/cert.pem\n    key: k\n", "5: listen.tls.certificate: no such file: /nonexistent/cert.pem");
        assertError("upstream:\n  url: http://x\nupstream:\n  url: http://y\n", "3: upstream: given twice (first on line 1)");
        assertError("upstream: http://x\n", "1: upstream: expected a mapping of keys, got \"http://x\"");
        assertError("upstream:\n  url: http://x\n  tls-verify: false\n  ca-file: " + write("x").getParent().resolve("relay.yml") + "\n", "4: upstream.ca-file: is set but tls-verify is false; remove one of them");
        assertError("upstream:\n  url: [http://x\n", "2: (syntax): not valid YAML: while parsing a flow sequence: expected ',' or ']', but got <stream end>");
    }

    @Test
    void proxyProtocolIsOffByDefaultAndNeedsTrustedProxies() throws Exception {
        assertThat(RelayConfigLoader.load(write("upstream:\n  url: http://x\n")).listen().proxyProtocol()).isFalse();
        RelayConfig on = RelayConfigLoader.load(write(
                "listen:\n  proxy-protocol: true\nforwarded:\n  trusted-proxies: [10.1.0.0/24]\nupstream:\n  url: http://x\n"));
        assertThat(on.listen().proxyProtocol()).isTrue();
        assertError("listen:\n  proxy-protocol: true\nupstream:\n  url: http://x\n",
                "2: listen.proxy-protocol: is true but forwarded.trusted-proxies is empty: list the load balancers' "
                        + "addresses there (only they may send a PROXY header)");
        assertError("listen:\n  proxy-protocol: v2\nupstream:\n  url: http://x\n",
                "2: listen.proxy-protocol: \"v2\" is not true or false");
    }

    @Test
    void http2IsOnByDefaultForTlsListenersAndCanBeTurnedOff() throws Exception {
        RelayConfig defaults = RelayConfigLoader.load(write("upstream:\n  url: http://x\n"));
        assertThat(defaults.listen().http2()).isTrue();
        assertThat(defaults.listen().offersHttp2()).as("a plain listener never offers h2").isFalse();
        RelayConfig off = RelayConfigLoader.load(write("listen:\n  http2: false\nupstream:\n  url: http://x\n"));
        assertThat(off.listen().http2()).isFalse();
        assertError("listen:\n  http2: maybe\nupstream:\n  url: http://x\n", "2: listen.http2: \"maybe\" is not true or false");
    }

    @Test
    void missingFileIsAConfigError() {
        Path missing = dir.resolve("nope.yml");
        assertThatThrownBy(() -> RelayConfigLoader.load(missing)).isInstanceOf(ConfigException.class)
                .hasMessage(missing + ":0: (file): no such file");
    }

    @Test
    void builtInCodeForTests() {
        RelayConfig config = RelayConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0))
                .withUpstream(URI.create("http://127.0.0.1:8052"));
        assertThat(config.listen().address().getPort()).isZero();
        assertThat(config.upstream().https()).isFalse();
        assertThat(config.websocket().blockedPaths()).isEqualTo(List.of("/websocket/relay/", "/websocket/broadcast/"));
    }
}

package io.towerrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code upstream.nodes} and {@code upstream.health-check}: what a cluster config reads as, and its mistakes. */
class UpstreamNodesConfigTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("relay.yml");
        Files.writeString(file, yaml);
        return file;
    }

    private void assertError(String yaml, String expected) throws Exception {
        Path file = write(yaml);
        assertThatThrownBy(() -> RelayConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ":" + expected);
    }

    @Test
    void nodesAreUrlsOrMappingsWithDrain() throws Exception {
        RelayConfig config = RelayConfigLoader.load(write(String.join("\n",
                "upstream:",
                "  nodes:",
                "    - https://tower1.internal",
                "    - url: https://tower2.internal:8443",
                "      drain: true",
                "    - {url: \"https://tower3.internal\"}",
                "  health-check:",
                "    path: /api/v2/ping/?format=json",
                "    interval: 2s",
                "    timeout: 1s",
                "    fall: 3",
                "    rise: 1",
                "")));
        assertThat(config.upstream().nodes()).containsExactly(
                new UpstreamNode(URI.create("https://tower1.internal"), false),
                new UpstreamNode(URI.create("https://tower2.internal:8443"), true),
                new UpstreamNode(URI.create("https://tower3.internal"), false));
        assertThat(config.upstream().url()).isEqualTo(URI.create("https://tower1.internal"));
        assertThat(config.upstream().https()).isTrue();
        assertThat(config.upstream().healthCheck()).isEqualTo(
                new HealthCheckConfig("/api/v2/ping/?format=json", Timeout.ofSeconds(2), Timeout.ofSeconds(1), 3, 1));
    }

    @Test
    void urlIsTheOneNodeShorthandWithDefaultHealthChecks() throws Exception {
        RelayConfig config = RelayConfigLoader.load(write("upstream:\n  url: http://127.0.0.1:8052\n"));
        assertThat(config.upstream().nodes()).containsExactly(UpstreamNode.of(URI.create("http://127.0.0.1:8052")));
        assertThat(config.upstream().healthCheck()).isEqualTo(HealthCheckConfig.defaults());
        assertThat(config.upstream().healthCheck().path()).isEqualTo("/api/v2/ping/");
        assertThat(config.upstream().healthCheck().interval()).isEqualTo(Timeout.ofSeconds(5));
        assertThat(config.upstream().healthCheck().fall()).isEqualTo(2);
        assertThat(config.upstream().healthCheck().rise()).isEqualTo(2);
    }

    @Test
    void mistakesNameFileLineAndKey() throws Exception {
        assertError("upstream:\n  url: http://a:8052\n  nodes:\n    - http://b:8052\n",
                "3: upstream.nodes: cannot be used together with upstream.url (line 2): list every node under upstream.nodes, or give only upstream.url");
        assertError("upstream:\n  nodes:\n    - http://a:8052\n    - https://b:8443\n",
                "4: upstream.nodes[1]: is https but upstream.nodes[0] is http: every node must use the same scheme");
        assertError("upstream:\n  nodes:\n    - http://a:8052\n    - http://a:8052/\n",
                "4: upstream.nodes[1]: a:8052 is listed twice");
        assertError("upstream:\n  nodes:\n    - http://a\n    - http://a:80\n", "4: upstream.nodes[1]: a:80 is listed twice");
        assertError("upstream:\n  nodes: []\n", "2: upstream.nodes: is empty: list at least one node URL");
        assertError("upstream:\n  nodes:\n    - ftp://a\n", "3: upstream.nodes[0]: \"ftp://a\" must start with http:// or https://");
        assertError("upstream:\n  nodes:\n    - url: http://a\n      drain: maybe\n",
                "4: upstream.nodes[0].drain: \"maybe\" is not true or false");
        assertError("upstream:\n  nodes:\n    - url: http://a\n      weight: 2\n",
                "4: upstream.nodes[0].weight: unknown key (valid here: drain, url)");
        assertError("upstream:\n  nodes:\n    - drain: true\n", "3: upstream.nodes[0].url: is required");
        assertError("upstream:\n  nodes:\n    - url: http://a\n      drain: true\n",
                "2: upstream.nodes: every node has drain: true; at least one must take traffic");
        assertError("upstream:\n  nodes:\n    - [http://a]\n", "3: upstream.nodes[0]: expected a value or a mapping, got a list");
        assertError("upstream:\n  url: http://a\n  health-check:\n    fall: 0\n", "4: upstream.health-check.fall: 0 is out of range 1-100");
        assertError("upstream:\n  url: http://a\n  health-check:\n    path: ping\n", "4: upstream.health-check.path: \"ping\" must start with /");
        assertError("upstream:\n  url: http://a\n  health-check:\n    every: 5s\n",
                "4: upstream.health-check.every: unknown key (valid here: fall, interval, path, rise, timeout)");
        assertError("upstream:\n  nodes:\n    - http://a\n  ca-file: ca.pem\n", "4: upstream.ca-file: no such file: " + dir.resolve("ca.pem"));
        assertError("upstream:\n  health-check:\n    fall: 2\n", "2: upstream.url: is required (or list the nodes under upstream.nodes)");
    }
}

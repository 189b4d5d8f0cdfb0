package io.towerrelay.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.common.UserError;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.RelayConfigLoader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A reload that cannot be used changes nothing; one that can is what the relay then runs with. */
class RelayReloadTest {
    @TempDir
    Path dir;

    private static final String GOOD = """
            listen:
              address: 127.0.0.1:0
            admin:
              address: "off"
            upstream:
              url: http://127.0.0.1:9
            limits:
              max-connections: 100
            """;

    @Test
    void anInvalidFileOrFlagKeepsTheRunningConfigAndAValidOneReplacesIt() throws Exception {
        Path file = Files.writeString(dir.resolve("relay.yml"), GOOD);
        try (RelayServer relay = RelayServer.start(RelayConfigLoader.load(file), new PrintStream(OutputStream.nullOutputStream()))) {
            RelayConfig started = relay.config();

            Files.writeString(file, GOOD.replace("max-connections: 100", "max-connections: 0"));
            assertThat(relay.reload(file)).isEmpty();
            Files.writeString(file, GOOD + "websocket:\n  idle-timout: 1h\n");
            assertThat(relay.reload(file)).isEmpty();
            Files.delete(file);
            assertThat(relay.reload(file)).isEmpty();
            assertThat(relay.reload(() -> {
                throw new UserError("--upstream: \"ftp://x\" must start with http:// or https://");
            }, "the command line")).isEmpty();
            assertThat(relay.config()).isSameAs(started);
            assertThat(relay.metrics().configReloads(false)).isEqualTo(4);
            assertThat(relay.metrics().configReloads(true)).isZero();
            assertThat(relay.metrics().render(0)).contains("towerrelay_config_reloads_total{result=\"invalid\"} 4",
                    "towerrelay_config_reloads_total{result=\"ok\"} 0");

            Files.writeString(file, GOOD.replace("max-connections: 100", "max-connections: 200"));
            assertThat(relay.reload(file)).hasValueSatisfying(c -> assertThat(c.describe())
                    .isEqualTo("limits.max-connections 100->200"));
            assertThat(relay.config().limits().maxConnections()).isEqualTo(200);
            assertThat(relay.reload(file)).hasValueSatisfying(c -> assertThat(c.describe()).isEqualTo("no changes"));
            assertThat(relay.metrics().configReloads(true)).isEqualTo(2);
        }
    }
}

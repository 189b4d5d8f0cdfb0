package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.towerrelay.config.ConfigException;
import io.towerrelay.config.LimitsConfig;
import io.towerrelay.config.RelayConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** limits.header-timeout is read from the config file, defaults to 30 s, and a bad value names file and line. */
class HeaderTimeoutConfigTest {
    @TempDir
    Path dir;

    @Test
    void headerTimeoutIsReadWithItsDefault() throws Exception {
        Path file = dir.resolve("relay.yml");
        Files.writeString(file, "upstream:\n  url: http://127.0.0.1:8052\nlimits:\n  header-timeout: 7s\n");
        assertThat(RelayConfigLoader.load(file).limits().headerTimeout().toSeconds()).isEqualTo(7);
        Files.writeString(file, "upstream:\n  url: http://127.0.0.1:8052\n");
        assertThat(RelayConfigLoader.load(file).limits().headerTimeout()).isEqualTo(LimitsConfig.DEFAULT_HEADER_TIMEOUT);
    }

    @Test
    void badHeaderTimeoutNamesFileLineAndKey() throws Exception {
        Path file = dir.resolve("relay.yml");
        Files.writeString(file, "upstream:\n  url: http://127.0.0.1:8052\nlimits:\n  header-timeout: soon\n");
        assertThatThrownBy(() -> RelayConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("relay.yml").hasMessageContaining(":4").hasMessageContaining("header-timeout");
    }
}

package io.towerrelay.hardening;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.towerrelay.config.ConfigException;
import io.towerrelay.config.RelayConfigLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Config errors found by ConfigLoaderFuzzTest: each names file and line, in one line of text. */
class ConfigErrorTextTest {
    @TempDir
    Path dir;

    @Test
    void bytesThatAreNotUtf8AreNamedWithTheirLine() throws Exception {
        Path file = dir.resolve("relay.yml");
        Files.write(file, "upstream:\n  url: http://127.0.0.1:8052\nlisten:\n  address: \"caf\u00e9:8080\"\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> RelayConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ":4: (file): not UTF-8 text: byte 0xE9 at offset 62 (save the file as UTF-8)");
    }

    @Test
    void aValueSpanningLinesIsQuotedOnOneLine() throws Exception {
        Path file = dir.resolve("relay.yml");
        Files.writeString(file, "upstream:\n  url: http://127.0.0.1:8052\nlimits:\n  max-connections: \"12\n\n  x\"\n");
        assertThatThrownBy(() -> RelayConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage(file + ":4: limits.max-connections: \"12\\nx\" is not a whole number");
    }

    @Test
    void linesEndingInABareCarriageReturnAreCountedAsLines() throws Exception {
        Path file = dir.resolve("relay.yml");
        Files.writeString(file, "upstream:\r  url: http://127.0.0.1:8052\rlimits:\r  max-connections: many\r");
        assertThatThrownBy(() -> RelayConfigLoader.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":4: limits.max-connections: ");
    }
}

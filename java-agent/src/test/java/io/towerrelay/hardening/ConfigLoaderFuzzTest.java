package io.towerrelay.hardening;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.towerrelay.cli.UserError;
import io.towerrelay.config.RelayConfigLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Jazzer on the config loader: any bytes as relay.yml either load or fail with a ConfigException (file, line,
 * key) or a UserError; any other exception is a bug a user would see as a stack trace. Without JAZZER_FUZZ=1
 * (CI) it replays the seeds in ConfigLoaderFuzzTestInputs/; with it, it fuzzes for maxDuration.
 */
class ConfigLoaderFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void anyFileLoadsOrFailsWithAConfigError(byte[] yaml) throws IOException {
        Path file = Files.createTempFile("relay-fuzz", ".yml");
        try {
            Files.write(file, yaml);
            RelayConfigLoader.load(file);
        } catch (UserError expected) { // ConfigException is a UserError
            // the one-line error a user sees
        } finally {
            Files.deleteIfExists(file);
        }
    }
}

package io.towerrelay.hardening;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.towerrelay.config.ConfigException;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.config.RelayConfigLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Jazzer on the config loader: any bytes as relay.yml either load into a config with an upstream, or fail with a
 * {@link ConfigException} that names this file and a line inside it (1 to the file's line count; the file exists
 * and is readable, so every problem is in its content), in one line of text, {@code FILE:LINE: key: problem}. Any
 * other exception is a bug a user would see as a stack trace from {@code check-config} or {@code serve}.
 *
 * <p>Without JAZZER_FUZZ (surefire's default run) it replays ConfigLoaderFuzzTestInputs/; with it (the
 * {@code fuzz-*} executions in java-agent/pom.xml, and docs/reliability.md for a long run) it fuzzes.
 */
class ConfigLoaderFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void anyFileLoadsOrFailsWithAConfigError(byte[] yaml) throws IOException {
        Path file = Files.createTempFile("relay-fuzz", ".yml");
        try {
            Files.write(file, yaml);
            RelayConfig config = RelayConfigLoader.load(file);
            if (config.upstream().url() == null) {
                throw new AssertionError("loaded without an upstream URL");
            }
        } catch (ConfigException e) {
            int lines = lines(yaml);
            check(e.file().equals(file), "names another file", e);
            check(e.line() >= 1 && e.line() <= lines, "line " + e.line() + " is not in the file (1-" + lines + ")", e);
            check(e.getMessage().startsWith(file + ":" + e.line() + ": " + e.key() + ": "), "not FILE:LINE: key: problem", e);
            check(e.getMessage().indexOf('\n') < 0 && e.getMessage().indexOf('\r') < 0, "more than one line", e);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Lines as YAML counts them (LF, CR LF, lone CR, NEL, LS, PS end a line), as an editor shows them. */
    private static int lines(byte[] yaml) {
        String text = new String(yaml, StandardCharsets.UTF_8);
        int lines = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ("\n\u0085\u2028\u2029".indexOf(c) >= 0 || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n'))) {
                lines++;
            }
        }
        return lines;
    }

    private static void check(boolean holds, String what, ConfigException e) {
        if (!holds) {
            throw new AssertionError("config error " + what + ": " + e.getMessage(), e);
        }
    }
}

package io.towerrelay.config;

import io.towerrelay.cli.UserError;
import java.nio.file.Path;

/**
 * A config file the relay cannot use. The message is one line, {@code FILE:LINE: key: what is wrong}, the shape
 * compilers use, so editors and humans find the spot.
 */
public final class ConfigException extends UserError {
    private final Path file;
    private final int line;
    private final String key;

    public ConfigException(Path file, int line, String key, String problem) {
        super(file + ":" + line + ": " + key + ": " + problem);
        this.file = file;
        this.line = line;
        this.key = key;
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public String key() {
        return key;
    }
}

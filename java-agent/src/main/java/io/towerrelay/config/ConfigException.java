package io.towerrelay.config;

import io.towerrelay.common.UserError;
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
        super(file + ":" + line + ": " + oneLine(key, 120) + ": " + oneLine(problem, 400));
        this.file = file;
        this.line = line;
        this.key = oneLine(key, 120);
    }

    /**
     * Values from the file are quoted in messages, and a YAML scalar can span lines or hold any character: control
     * characters are escaped and long text cut, so the error stays one line (found by fuzzing the loader).
     */
    private static String oneLine(String text, int max) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), max) + 8);
        int i = 0;
        for (; i < text.length() && out.length() < max; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return i < text.length() ? out.append("...").toString() : out.toString();
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    /** The key as shown in the message (control characters escaped). */
    public String key() {
        return key;
    }
}

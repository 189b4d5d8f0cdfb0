package io.towerrelay.config;

import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hc.core5.util.Timeout;

/** Durations as people write them in config files: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 1h30m}. */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {}

    /** Parses a positive duration; throws {@link IllegalArgumentException} with a message fit for a user. */
    public static Timeout parse(String text) {
        String s = text == null ? "" : text.trim();
        Matcher m = PART.matcher(s);
        long millis = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            millis = Math.addExact(millis, toMillis(Long.parseLong(m.group(1)), m.group(2)));
            end = m.end();
        }
        if (s.isEmpty() || end != s.length()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a duration (write e.g. 30s, 5m, 1h, 1h30m, 500ms)");
        }
        if (millis <= 0) {
            throw new IllegalArgumentException("must be longer than 0, got \"" + text + "\"");
        }
        return Timeout.ofMilliseconds(millis);
    }

    /** The shortest exact spelling, so {@code format(parse(x))} reads like what a user would write. */
    public static String format(Timeout timeout) {
        long ms = timeout.toMilliseconds();
        if (ms % TimeUnit.HOURS.toMillis(1) == 0) {
            return ms / TimeUnit.HOURS.toMillis(1) + "h";
        }
        if (ms % TimeUnit.MINUTES.toMillis(1) == 0) {
            return ms / TimeUnit.MINUTES.toMillis(1) + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    private static long toMillis(long n, String unit) {
        switch (unit) {
            case "ms": return n;
            case "s": return Math.multiplyExact(n, 1000L);
            case "m": return Math.multiplyExact(n, 60_000L);
            case "h": return Math.multiplyExact(n, 3_600_000L);
            default: return Math.multiplyExact(n, 86_400_000L);
        }
    }
}

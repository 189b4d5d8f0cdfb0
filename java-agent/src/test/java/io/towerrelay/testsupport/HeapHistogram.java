package io.towerrelay.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The live objects of a running JVM, read the way an operator would: {@code jcmd <pid> GC.class_histogram}, which
 * runs a full collection first.
 */
public record HeapHistogram(String text) {
    private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+(\\d+)\\s+(\\d+)\\s*$");

    public static HeapHistogram of(long pid) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("jcmd: %s", out).isZero();
        return new HeapHistogram(out);
    }

    /** Bytes of all live objects. */
    public long liveBytes() {
        Matcher total = TOTAL.matcher(text);
        assertThat(total.find()).as("jcmd GC.class_histogram total line").isTrue();
        return Long.parseLong(total.group(2));
    }

    /** Live instances of exactly {@code className}. */
    public long instances(String className) {
        Matcher row = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+\\d+\\s+" + Pattern.quote(className) + "(\\s|$)")
                .matcher(text);
        return row.find() ? Long.parseLong(row.group(1)) : 0;
    }
}

package io.towerrelay.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs Debian's {@code h2load} (package nghttp2-client) over TLS with ALPN h2 and reads requests/s, the mean
 * request time and the failures from its report (h2load gives min/max/mean/sd, no percentiles).
 */
public final class H2load {
    /**
     * One run: requests per second, mean time per request in microseconds, requests that did not succeed (failed,
     * errored, timed out) and answers with a 4xx or 5xx status.
     */
    public record Sample(double requestsPerSecond, double meanMicros, long failed, long non2xx) {
    }

    private static final Pattern RPS = Pattern.compile("finished in [^,]+, ([\\d.]+) req/s");
    private static final Pattern REQUESTS = Pattern.compile(
            "requests: (\\d+) total, \\d+ started, \\d+ done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
    private static final Pattern STATUS = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");
    private static final Pattern TIME = Pattern.compile("time for request:\\s+\\S+\\s+\\S+\\s+([\\d.]+)(us|ms|s)");

    private H2load() {
    }

    /**
     * @param clients connections, each with {@code streams} requests in flight at once
     * @param window  how long to measure (after a one-second warm-up), or null for a fixed {@code requests} count
     */
    public static Sample run(String url, int clients, int streams, Duration window, int requests)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("h2load", "-c" + clients, "-m" + streams, "-t2"));
        if (window != null) {
            cmd.addAll(List.of("-D", Long.toString(Math.max(1, window.toSeconds())), "--warm-up-time=1"));
        } else {
            cmd.add("-n" + requests);
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IOException("h2load failed on " + url + ":\n" + out);
        }
        return parse(out);
    }

    static Sample parse(String out) throws IOException {
        Matcher rps = RPS.matcher(out);
        Matcher requests = REQUESTS.matcher(out);
        Matcher status = STATUS.matcher(out);
        Matcher time = TIME.matcher(out);
        if (!rps.find() || !requests.find() || !status.find()) {
            throw new IOException("no results in h2load output:\n" + out);
        }
        double mean = -1;
        if (time.find()) {
            double v = Double.parseDouble(time.group(1));
            mean = switch (time.group(2).toLowerCase(Locale.ROOT)) {
                case "ms" -> v * 1_000;
                case "s" -> v * 1_000_000;
                default -> v;
            };
        }
        long failed = Long.parseLong(requests.group(3)) + Long.parseLong(requests.group(4)) + Long.parseLong(requests.group(5));
        return new Sample(Double.parseDouble(rps.group(1)), mean, failed,
                Long.parseLong(status.group(3)) + Long.parseLong(status.group(4)));
    }
}

package io.towerrelay.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs Debian's {@code wrk} and reads requests/s, the requests completed, p50/p99 latency and errors from its report. */
public final class Wrk {

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern REQUESTS = Pattern.compile("^\\s*(\\d+) requests in ", Pattern.MULTILINE);
    private static final Pattern PERCENTILE = Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
    private static final Pattern SOCKET_ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    private Wrk() {}

    /** One wrk run: {@code keepAlive=false} sends {@code Connection: close}, so every request opens a connection. */
    public static HttpSample run(String url, int connections, int threads, Duration duration, boolean keepAlive)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections,
                "-d" + Math.max(1, duration.toSeconds()) + "s", "--timeout", "5s", "--latency"));
        if (!keepAlive) {
            cmd.addAll(List.of("-H", "Connection: close"));
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(duration.toSeconds() + 30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("wrk failed on " + url + ":\n" + out);
        }
        return parse(out);
    }

    static HttpSample parse(String out) throws IOException {
        Matcher rps = RPS.matcher(out);
        if (!rps.find()) {
            throw new IOException("no Requests/sec in wrk output:\n" + out);
        }
        Matcher requests = REQUESTS.matcher(out);
        if (!requests.find()) {
            throw new IOException("no request count in wrk output:\n" + out);
        }
        double p50 = -1;
        double p99 = -1;
        Matcher m = PERCENTILE.matcher(out);
        while (m.find()) {
            double value = Double.parseDouble(m.group(2));
            double micros = switch (m.group(3)) {
                case "us" -> value;
                case "ms" -> value * 1000;
                default -> value * 1_000_000;
            };
            if (m.group(1).equals("50")) {
                p50 = micros;
            } else {
                p99 = micros;
            }
        }
        long socketErrors = 0;
        long timeouts = 0;
        Matcher e = SOCKET_ERRORS.matcher(out);
        if (e.find()) {
            for (int i = 1; i <= 3; i++) {
                socketErrors += Long.parseLong(e.group(i));
            }
            timeouts = Long.parseLong(e.group(4));
        }
        long non2xx = 0;
        Matcher n = NON_2XX.matcher(out);
        if (n.find()) {
            non2xx = Long.parseLong(n.group(1));
        }
        return new HttpSample(Double.parseDouble(rps.group(1)), Long.parseLong(requests.group(1)), p50, p99, socketErrors,
                timeouts, non2xx);
    }
}

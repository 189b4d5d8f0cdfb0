package io.towerrelay.bench.report;

import io.towerrelay.bench.BenchOptions;
import io.towerrelay.bench.MachineFacts;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/** The run as markdown: medians over rounds, each proxy's ratio to the direct connection, relay / NGINX. */
public final class MarkdownReport {

    private static final List<String[]> HTTP_TESTS = List.of(
            new String[] {"small-keepalive", "small (≈0.4 KiB), keep-alive"},
            new String[] {"small-close", "small, new connection per request"},
            new String[] {"64k-keepalive", "64 KiB, keep-alive"},
            new String[] {"64k-close", "64 KiB, new connection per request"});

    private MarkdownReport() {}

    public static String render(Results r, BenchOptions o, MachineFacts facts) {
        List<String> targets = o.targets();
        List<String> proxies = targets.stream().filter(t -> !t.equals("direct")).toList();
        boolean relayVsNginx = targets.contains("relay") && targets.contains("nginx");
        StringBuilder b = new StringBuilder();
        b.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append(" on **").append(facts.facts().get("cores")).append(" cores** (").append(facts.facts().get("cpu"))
                .append("), everything on loopback on the same machine: backend, proxies and load generators share the cores. ")
                .append(o.rounds()).append(" rounds, targets alternating within each round; medians shown. The run took ")
                .append(r.notes().getOrDefault("duration", "?")).append(".\n\n");
        b.append("Versions: ");
        facts.facts().forEach((k, v) -> {
            if (!k.equals("cores") && !k.equals("cpu")) {
                b.append(k).append(" `").append(v).append("`; ");
            }
        });
        b.setLength(b.length() - 2);
        b.append(".\n\n");
        if (r.notes().containsKey("failed")) {
            b.append("**The run failed:** `").append(r.notes().get("failed")).append("`\n\n");
        }

        if (o.phases().contains("http")) {
            b.append("### HTTP: `wrk -t2 -c64`, ").append(o.httpWindow().toSeconds()).append(" s per run\n\n");
            b.append("Cells: value (proxy / direct). CPU µs/req: the proxy's user + system CPU time, summed over its processes "
                    + "(/proc, in 1/").append(io.towerrelay.bench.proxies.ProcessTree.clockTicksPerSecond())
                    .append(" s ticks), during the run divided by the requests wrk completed: what each request costs the proxy, "
                    + "whatever share of the cores it got; none for direct (no proxy), so no (proxy / direct) bracket. "
                    + "user CPU µs/req: the user part of it alone, the rest is system time.");
            String passes = warmUpPasses(r, "http", targets);
            if (!passes.isEmpty()) {
                b.append(" Warm-up before the rounds, not recorded: passes of the four tests (5 s each) until no rate rose by more than 10 %: ")
                        .append(passes).append("; then one round of the tests, not recorded either.");
            }
            b.append("\n\n");
            header(b, "test", "metric", targets, relayVsNginx);
            for (String[] t : HTTP_TESTS) {
                row(b, r, "http", t[0], t[1], "req/s", "rps", targets, relayVsNginx, "%,.0f");
                row(b, r, "http", t[0], "", "p50 ms", "p50_us", targets, relayVsNginx, "ms");
                row(b, r, "http", t[0], "", "p99 ms", "p99_us", targets, relayVsNginx, "ms");
                row(b, r, "http", t[0], "", "CPU µs/req", "cpu_us_per_req", targets, relayVsNginx, "%,.0f", false);
                row(b, r, "http", t[0], "", "user CPU µs/req", "user_us_per_req", targets, relayVsNginx, "%,.0f", false);
            }
            StringBuilder errors = new StringBuilder();
            for (String[] t : HTTP_TESTS) {
                for (String target : targets) {
                    double socket = r.sum("http", t[0], target, "socket_errors");
                    double timeouts = r.sum("http", t[0], target, "timeouts");
                    double non2xx = r.sum("http", t[0], target, "non_2xx");
                    if (socket + timeouts + non2xx > 0) {
                        errors.append(String.format(Locale.ROOT, " %s via %s: %.0f socket errors, %.0f timeouts (> 5 s), %.0f non-2xx;",
                                t[0], target, socket, timeouts, non2xx));
                    }
                }
            }
            b.append('\n').append(errors.length() == 0 ? "No socket errors, timeouts or non-2xx answers in any run.\n\n"
                    : "**Errors** (all rounds):" + errors.substring(0, errors.length() - 1) + ".\n\n");
        }

        if (o.phases().contains("floor")) {
            floor(b, r, targets);
        }

        if (o.phases().contains("h2")) {
            List<String> h2 = io.towerrelay.bench.proxies.H2Setups.TARGETS.stream().filter(targets::contains).toList();
            b.append("### HTTP/2 over TLS: `h2load -c8 -m8 -t2`, ").append(o.httpWindow().toSeconds())
                    .append(" s per run\n\n");
            b.append("Each proxy on a TLS listener offering h2 by ALPN, the same backend behind over HTTP/1.1 keep-alive, started ")
                    .append("once for the phase. h2load reports the mean time per request (no percentiles).");
            String h2Passes = warmUpPasses(r, "h2", h2);
            if (!h2Passes.isEmpty()) {
                b.append(" Warm-up before the rounds, not recorded, by the HTTP phase's rule: passes of the two tests and the two HTTPS ones below (5 s each): ")
                        .append(h2Passes).append("; then one round of the tests, not recorded either.");
            }
            b.append("\n\n");
            b.append("| test | metric |");
            h2.forEach(t -> b.append(' ').append(t).append(" |"));
            boolean ratio = h2.contains("relay") && h2.contains("nginx");
            b.append(ratio ? " relay / nginx |\n" : "\n").append("|---|---|");
            h2.forEach(t -> b.append("---:|"));
            b.append(ratio ? "---:|\n" : "\n");
            for (String test : List.of("small", "64k")) {
                for (String[] m : List.of(new String[] {"req/s", "rps"}, new String[] {"mean ms", "mean_us"})) {
                    b.append("| ").append(m[0].equals("req/s") ? test : "").append(" | ").append(m[0]).append(" |");
                    for (String t : h2) {
                        double v = r.median("h2", test, t, m[1]);
                        b.append(' ').append(m[1].equals("rps") ? String.format(Locale.ROOT, "%,.0f", v)
                                : String.format(Locale.ROOT, "%.2f", v / 1000)).append(" |");
                    }
                    if (ratio) {
                        b.append(String.format(Locale.ROOT, " %.2f |", r.median("h2", test, "relay", m[1])
                                / r.median("h2", test, "nginx", m[1])));
                    }
                    b.append('\n');
                }
            }
            double failed = 0;
            for (String test : List.of("small", "64k")) {
                for (String t : h2) {
                    failed += r.sum("h2", test, t, "failed") + r.sum("h2", test, t, "non_2xx");
                }
            }
            b.append('\n').append(failed == 0 ? "Every request succeeded with a 2xx in every run.\n\n"
                    : String.format(Locale.ROOT, "**%.0f requests failed or were not 2xx** (all rounds, all proxies).\n\n", failed));
            https(b, r, h2, o);
        }

        if (o.phases().contains("ws")) {
            b.append("### WebSocket: job events from the backend to the load generator\n\n");
            b.append("events/s: the backend pushes as fast as the connection takes them (~").append(eventSize())
                    .append(" B frames). Latency: one-way, backend write to load-generator read, at ")
                    .append(String.format(Locale.ROOT, "%,d", o.pacedEventsPerSecond()))
                    .append(" events/s in all (paced), with the added latency over direct in brackets.\n\n");
            header(b, "sockets", "metric", targets, relayVsNginx);
            for (int sockets : o.wsSockets()) {
                String test = sockets + "-sockets";
                row(b, r, "ws", test, Integer.toString(sockets), "events/s", "events_per_s", targets, relayVsNginx, "%,.0f");
                latencyRow(b, r, test, "p50 µs", "p50_us", targets, relayVsNginx);
                latencyRow(b, r, test, "p99 µs", "p99_us", targets, relayVsNginx);
            }
            double lost = 0;
            for (int sockets : o.wsSockets()) {
                for (String target : targets) {
                    lost += r.sum("ws", sockets + "-sockets", target, "lost_sockets");
                }
            }
            b.append('\n').append(lost == 0 ? "No socket was lost during a measurement.\n\n"
                    : "**Sockets lost during measurement: " + (long) lost + "**\n\n");
            r.notes().forEach((k, v) -> {
                if (k.startsWith("ws ")) {
                    b.append("**Failed:** ").append(k.substring(3)).append(": ").append(v.replace("|", "/")).append("\n\n");
                }
            });
        }

        if (o.phases().contains("idle")) {
            int n = o.idleSockets();
            String test = n + "-sockets";
            b.append("### Memory: ").append(String.format(Locale.ROOT, "%,d", n))
                    .append(" idle WebSockets held open through each proxy (started fresh)\n\n");
            b.append("| proxy | processes | RSS before | RSS holding ").append(String.format(Locale.ROOT, "%,d", n))
                    .append(" | PSS holding | per socket | RSS at 10,000 (extrapolated) |\n");
            b.append("|---|---:|---:|---:|---:|---:|---:|\n");
            for (String p : proxies) {
                double before = r.median("idle", test, p, "rss_before_kib");
                double rss = r.median("idle", test, p, "rss_kib");
                double failedAfter = r.median("idle", test, p, "failed_after_sockets");
                if (!Double.isNaN(failedAfter)) {
                    b.append("| ").append(p).append(" | | ").append(mib(before)).append(" | **gave out after ")
                            .append(String.format(Locale.ROOT, "%,.0f", failedAfter)).append(" sockets** (RSS then ")
                            .append(mib(r.median("idle", test, p, "rss_at_failure_kib"))).append(") | | | |\n");
                    continue;
                }
                if (Double.isNaN(rss)) {
                    continue;
                }
                double perSocket = (rss - before) / n;
                double at10k = before + perSocket * 10_000;
                b.append("| ").append(p).append(" | ").append((long) r.median("idle", test, p, "processes"))
                        .append(" | ").append(mib(before)).append(" | ").append(mib(rss)).append(" | ")
                        .append(mib(r.median("idle", test, p, "pss_kib"))).append(" | ")
                        .append(String.format(Locale.ROOT, "%.1f KiB", perSocket)).append(" | ").append(mib(at10k))
                        .append(" |\n");
            }
            r.notes().forEach((k, v) -> {
                if (k.startsWith("idle ")) {
                    b.append("\n").append(k.substring(5)).append(": ").append(v.replace("|", "/")).append('\n');
                }
            });
            b.append("\nRSS is summed over the proxy's processes (NGINX and Apache run workers, which share pages: PSS "
                    + "counts shared pages once). Each tunnel costs two file descriptors and the container's hard limit "
                    + "is 20,000 per process (no CAP_SYS_RESOURCE to raise it), so ").append(String.format(Locale.ROOT, "%,d", n))
                    .append(" is measured and 10,000 extrapolated from the per-socket cost.\n\n");
        }

        if (o.phases().contains("startup") || o.phases().contains("idle")) {
            b.append("### Start-up: process spawn to first accepted connection / first proxied answer\n\n");
            b.append("| proxy | starts | first accepted connection | first proxied 200 |\n|---|---:|---:|---:|\n");
            for (String p : proxies) {
                List<Double> samples = r.all().get("startup/start/" + p + "/accept_ms");
                if (samples == null) {
                    continue;
                }
                b.append("| ").append(p).append(" | ").append(samples.size()).append(" | ")
                        .append(String.format(Locale.ROOT, "%.0f ms", r.median("startup", "start", p, "accept_ms")))
                        .append(" | ").append(String.format(Locale.ROOT, "%.0f ms", r.median("startup", "start", p, "first_response_ms")))
                        .append(" |\n");
            }
            b.append('\n');
        }
        if (relayVsNginx) {
            b.append(Goals.render(r, o));
        }
        return b.toString();
    }

    private static int eventSize() {
        return io.towerrelay.bench.backend.JobEventFrames.frameLength();
    }

    /**
     * The floor phase: the backend and HttpCore5's own server alone, the reactor proxy in front of the backend, next
     * to the relay's and NGINX's CPU per request.
     */
    private static void floor(StringBuilder b, Results r, List<String> targets) {
        b.append("### The building blocks alone: the backend, HttpCore5's own server, the least proxy on HttpCore5's reactor "
                + "and on the JDK's selector\n\n")
                .append("`wrk -t2 -c64` against each directly, the same tests and answers, alternating; CPU µs/req is its "
                        + "own. The backend is plain JDK NIO (one read and one write per request). HttpCore5's server is its "
                        + "`AsyncServerBootstrap` as it comes (HttpCore5 of the relay's jar, one I/O thread per core, the "
                        + "relay's JVM options) answering the same bytes itself: a proxy on HttpCore5's HTTP/1.1 server does "
                        + "that server's work for every request and an upstream exchange besides. The reactor proxy "
                        + "(`bench/.../floor/ReactorProxy`) is the least proxy on HttpCore5's reactor, sessions and line "
                        + "parser, in front of the backend: heads parsed and rewritten, upstream connections pooled per I/O "
                        + "thread, each chunk written in the event that read it, without HttpCore5's HTTP/1.1 handlers and "
                        + "without what a product adds (request bodies, retries, limits, logs). The selector proxy "
                        + "(`bench/.../floor/SelectorProxy`) runs the reactor proxy's handlers, unchanged, on the JDK's selector "
                        + "alone (one per I/O thread, each accepting on its own `SO_REUSEPORT` socket): what HttpCore5's reactor "
                        + "and sessions cost is the difference between the two. The relay's and NGINX's CPU per "
                        + "request are the HTTP phase's. Each CPU cell is the total and, in brackets, its user part: user time is the "
                        + "process's own code (JIT-compiled Java, GC), system time the kernel's work for its syscalls.\n\n");
        List<String> proxies = List.of("relay", "nginx").stream().filter(targets::contains).toList();
        b.append("| test | backend req/s | backend CPU µs/req | HttpCore5 server req/s | HttpCore5 server CPU µs/req "
                + "| reactor proxy req/s | reactor proxy CPU µs/req | selector proxy req/s | selector proxy CPU µs/req |");
        proxies.forEach(p -> b.append(' ').append(p).append(" CPU µs/req |"));
        b.append("\n|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        proxies.forEach(p -> b.append("---:|"));
        b.append('\n');
        double failed = 0;
        for (String[] t : HTTP_TESTS) {
            b.append("| ").append(t[1]).append(" |");
            for (String measured : FLOOR_MEASURED) {
                b.append(String.format(Locale.ROOT, " %,.0f | %s |", r.median("floor", t[0], measured, "rps"),
                        cpuCell(r, "floor", t[0], measured)));
                failed += r.sum("floor", t[0], measured, "errors") + r.sum("floor", t[0], measured, "non_2xx");
            }
            proxies.forEach(p -> b.append(' ').append(cpuCell(r, "http", t[0], p)).append(" |"));
            b.append('\n');
        }
        b.append('\n').append(failed == 0 ? "No errors or non-2xx answers in any run.\n\n"
                : String.format(Locale.ROOT, "**%.0f requests failed or were not 2xx** (all rounds).\n\n", failed));
    }

    /** CPU µs/req with its user part, e.g. "22.9 (user 4.7)". */
    private static String cpuCell(Results r, String family, String test, String target) {
        return String.format(Locale.ROOT, "%.1f (user %.1f)", r.median(family, test, target, "cpu_us_per_req"),
                r.median(family, test, target, "user_us_per_req"));
    }

    /** What the floor phase measures, by its results name. */
    public static final List<String> FLOOR_MEASURED = List.of("backend", "httpcore5", "reactor-proxy", "selector-proxy");

    /** HTTP/1.1 over TLS on the HTTP/2 phase's listeners: keep-alive, and a full TLS handshake per request. */
    private static void https(StringBuilder b, Results r, List<String> targets, BenchOptions o) {
        b.append("### HTTPS (HTTP/1.1 over TLS): `wrk -t2 -c64`, ").append(o.httpWindow().toSeconds()).append(" s per run\n\n");
        b.append("The same listeners (wrk offers no ALPN: HTTP/1.1). `https-small-close` sends `Connection: close`: a full "
                + "TLS 1.3 handshake per request, its key exchange the one wrk offers (X25519), the certificate ECDSA P-256. "
                + "CPU µs/req as in the HTTP phase.\n\n");
        boolean relayVsNginx = targets.contains("relay") && targets.contains("nginx");
        header(b, "test", "metric", targets, relayVsNginx);
        for (String test : List.of("https-small-keepalive", "https-small-close")) {
            row(b, r, "https", test, test, "req/s", "rps", targets, relayVsNginx, "%,.0f");
            row(b, r, "https", test, "", "p99 ms", "p99_us", targets, relayVsNginx, "ms");
            row(b, r, "https", test, "", "CPU µs/req", "cpu_us_per_req", targets, relayVsNginx, "%,.0f", false);
            row(b, r, "https", test, "", "user CPU µs/req", "user_us_per_req", targets, relayVsNginx, "%,.0f", false);
        }
        double errors = 0;
        for (String test : List.of("https-small-keepalive", "https-small-close")) {
            for (String t : targets) {
                errors += r.sum("https", test, t, "errors");
            }
        }
        b.append('\n').append(errors == 0 ? "No socket errors, timeouts or non-2xx answers in any run.\n\n"
                : String.format(Locale.ROOT, "**%.0f socket errors, timeouts or non-2xx answers** (all rounds, all proxies).\n\n", errors));
    }

    private static void header(StringBuilder b, String first, String second, List<String> targets, boolean relayVsNginx) {
        b.append("| ").append(first).append(" | ").append(second).append(" |");
        targets.forEach(t -> b.append(' ').append(t).append(" |"));
        if (relayVsNginx) {
            b.append(" relay / nginx |");
        }
        b.append("\n|---|---|");
        targets.forEach(t -> b.append("---:|"));
        if (relayVsNginx) {
            b.append("---:|");
        }
        b.append('\n');
    }

    private static void row(StringBuilder b, Results r, String family, String test, String label, String metricLabel,
                            String metric, List<String> targets, boolean relayVsNginx, String format) {
        row(b, r, family, test, label, metricLabel, metric, targets, relayVsNginx, format, true);
    }

    /** {@code vsDirect=false} for a figure the direct connection has none of (the proxy's own CPU time). */
    private static void row(StringBuilder b, Results r, String family, String test, String label, String metricLabel,
                            String metric, List<String> targets, boolean relayVsNginx, String format, boolean vsDirect) {
        double direct = r.median(family, test, "direct", metric);
        b.append("| ").append(label).append(" | ").append(metricLabel).append(" |");
        for (String t : targets) {
            double v = r.median(family, test, t, metric);
            b.append(' ').append(value(v, format));
            if (vsDirect && !t.equals("direct") && direct > 0 && !Double.isNaN(v)) {
                b.append(String.format(Locale.ROOT, " (%.2f)", v / direct));
            }
            b.append(" |");
        }
        if (relayVsNginx) {
            b.append(' ').append(ratio(r.median(family, test, "relay", metric), r.median(family, test, "nginx", metric))).append(" |");
        }
        b.append('\n');
    }

    private static void latencyRow(StringBuilder b, Results r, String test, String metricLabel, String metric,
                                   List<String> targets, boolean relayVsNginx) {
        double direct = r.median("ws", test, "direct", metric);
        b.append("| | ").append(metricLabel).append(" |");
        for (String t : targets) {
            double v = r.median("ws", test, t, metric);
            b.append(' ').append(value(v, "%,.0f"));
            if (!t.equals("direct") && !Double.isNaN(direct) && !Double.isNaN(v)) {
                b.append(String.format(Locale.ROOT, " (%+,.0f)", v - direct));
            }
            b.append(" |");
        }
        if (relayVsNginx) {
            b.append(" added: ").append(ratio(r.median("ws", test, "relay", metric) - direct,
                    r.median("ws", test, "nginx", metric) - direct)).append(" |");
        }
        b.append('\n');
    }

    static String value(double v, String format) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (format.equals("ms")) {
            return String.format(Locale.ROOT, v >= 10_000 ? "%.1f" : "%.2f", v / 1000);
        }
        return String.format(Locale.ROOT, format, v);
    }

    static String ratio(double a, double b) {
        if (Double.isNaN(a) || Double.isNaN(b) || b == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f", a / b);
    }

    static String mib(double kib) {
        return Double.isNaN(kib) ? "–" : String.format(Locale.ROOT, "%.0f MiB", kib / 1024);
    }

    /** "relay 3, nginx 2": the warm-up passes each target of a phase took, or "" when none were recorded. */
    private static String warmUpPasses(Results r, String phase, List<String> targets) {
        StringBuilder passes = new StringBuilder();
        for (String target : targets) {
            double n = r.sum(phase, "warm-up", target, "passes");
            if (n > 0) {
                passes.append(String.format(Locale.ROOT, "%s%s %.0f", passes.length() == 0 ? "" : ", ", target, n));
            }
        }
        return passes.toString();
    }
}

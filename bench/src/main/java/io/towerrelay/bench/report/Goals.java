package io.towerrelay.bench.report;

import io.towerrelay.bench.BenchOptions;
import java.util.Locale;

/** The goals for the relay, each checked against this run's medians. */
final class Goals {

    private Goals() {}

    static String render(Results r, BenchOptions o) {
        StringBuilder b = new StringBuilder("### The relay against its goals (this run)\n\n| goal | measured | met |\n|---|---|---|\n");
        if (o.phases().contains("http")) {
            // The goals: keep-alive answers, small or 64 KiB, at NGINX's rate or better, small ones with a p99
            // no longer than NGINX's; a new connection per request (either size) at 0.9x NGINX's rate or better.
            for (String test : new String[] {"small-keepalive", "small-close", "64k-keepalive", "64k-close"}) {
                double rps = r.median("http", test, "relay", "rps") / r.median("http", test, "nginx", "rps");
                double least = test.endsWith("close") ? 0.9 : 1.0;
                line(b, String.format(Locale.ROOT, "HTTP %s: req/s ≥ %.1f× NGINX's", test, least),
                        String.format(Locale.ROOT, "relay / nginx = %.2f", rps), rps >= least);
                if (test.equals("small-keepalive")) {
                    double p99 = r.median("http", test, "relay", "p99_us") / r.median("http", test, "nginx", "p99_us");
                    line(b, "HTTP " + test + ": p99 ≤ NGINX's", String.format(Locale.ROOT, "relay / nginx = %.2f", p99), p99 <= 1);
                }
            }
        }
        if (o.phases().contains("ws")) {
            for (int sockets : o.wsSockets()) {
                String test = sockets + "-sockets";
                double ev = r.median("ws", test, "relay", "events_per_s") / r.median("ws", test, "nginx", "events_per_s");
                double added = r.median("ws", test, "relay", "p99_us") - r.median("ws", test, "direct", "p99_us");
                line(b, "WebSocket " + sockets + " sockets: events/s ≥ NGINX's",
                        String.format(Locale.ROOT, "relay / nginx = %.2f", ev), ev >= 1);
                // The goal: < 1 ms through up to 100 sockets, < 5 ms through more.
                int limitMs = sockets <= 100 ? 1 : 5;
                line(b, "WebSocket " + sockets + " sockets: added p99 < " + limitMs + " ms",
                        String.format(Locale.ROOT, "%+.3f ms", added / 1000), added < limitMs * 1000);
            }
        }
        if (o.phases().contains("idle")) {
            String test = o.idleSockets() + "-sockets";
            double before = r.median("idle", test, "relay", "rss_before_kib");
            double rss = r.median("idle", test, "relay", "rss_kib");
            double failedAfter = r.median("idle", test, "relay", "failed_after_sockets");
            if (!Double.isNaN(failedAfter)) {
                line(b, "10,000 idle WebSockets in < 256 MiB RSS", String.format(Locale.ROOT,
                        "gave out after %,.0f sockets (RSS %.0f MiB then)", failedAfter,
                        r.median("idle", test, "relay", "rss_at_failure_kib") / 1024), false);
                return b.append('\n').toString();
            }
            double at10k = before + (rss - before) / o.idleSockets() * 10_000;
            line(b, "10,000 idle WebSockets in < 256 MiB RSS", String.format(Locale.ROOT,
                    "%.0f MiB at %,d sockets, %.0f MiB extrapolated to 10,000", rss / 1024, o.idleSockets(), at10k / 1024),
                    at10k < 256 * 1024);
        }
        return b.append('\n').toString();
    }

    private static void line(StringBuilder b, String goal, String measured, boolean met) {
        b.append("| ").append(goal).append(" | ").append(measured).append(" | ").append(met ? "yes" : "**no**").append(" |\n");
    }
}

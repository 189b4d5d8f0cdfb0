package io.towerrelay.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What one run measures and how long; {@link #smoke()} is the seconds-long variant the test suite runs. */
public record BenchOptions(
        Path relayJar,
        Path out,
        int rounds,
        Duration httpWindow,
        Duration wsWindow,
        List<Integer> wsSockets,
        int pacedEventsPerSecond,
        int idleSockets,
        int startups,
        List<String> targets,
        List<String> phases,
        List<String> relayJvmOptions) {

    public static final List<String> ALL_TARGETS = List.of("direct", "relay", "nginx", "apache", "haproxy");
    public static final List<String> ALL_PHASES = List.of("http", "floor", "h2", "ws", "idle", "startup");

    /** The smoke run (test suite): one short round, no warm-up, tiny counts. */
    public boolean isSmoke() {
        return startups == 0;
    }

    public static BenchOptions defaults(Path relayJar, Path out) {
        // Two descriptors per proxied socket and a hard limit of 20,000 per process here: 9,800 is as close to
        // 10,000 as every proxy can get; the report extrapolates to 10,000 from the measured per-socket cost.
        return new BenchOptions(relayJar, out, 3, Duration.ofSeconds(3), Duration.ofSeconds(3), List.of(1, 100, 1000),
                5000, 9800, 5, ALL_TARGETS, ALL_PHASES, List.of());
    }

    public BenchOptions smoke() {
        return new BenchOptions(relayJar, out, 1, Duration.ofSeconds(1), Duration.ofMillis(500), List.of(1, 10), 500,
                20, 0, targets, phases, relayJvmOptions);
    }

    /** Parses {@code --name value} pairs on top of the defaults; unknown flags are an error. */
    public static BenchOptions parse(String[] args, Path defaultJar, Path defaultOut) {
        BenchOptions o = defaults(defaultJar, defaultOut);
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--smoke")) {
                smoke = true;
                continue;
            }
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new IllegalArgumentException(usage());
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value\n" + usage());
            }
            String v = args[++i];
            o = switch (flag) {
                case "--relay-jar" -> o.with(Path.of(v), o.out, o.rounds, o.targets, o.phases, o.relayJvmOptions, o.idleSockets);
                case "--out" -> o.with(o.relayJar, Path.of(v), o.rounds, o.targets, o.phases, o.relayJvmOptions, o.idleSockets);
                case "--rounds" -> o.with(o.relayJar, o.out, Integer.parseInt(v), o.targets, o.phases, o.relayJvmOptions, o.idleSockets);
                case "--targets" -> o.with(o.relayJar, o.out, o.rounds, split(v, ALL_TARGETS), o.phases, o.relayJvmOptions, o.idleSockets);
                case "--phases" -> o.with(o.relayJar, o.out, o.rounds, o.targets, split(v, ALL_PHASES), o.relayJvmOptions, o.idleSockets);
                case "--relay-jvm-options" -> o.with(o.relayJar, o.out, o.rounds, o.targets, o.phases,
                        Arrays.asList(v.trim().split("\\s+")), o.idleSockets);
                case "--idle-sockets" -> o.with(o.relayJar, o.out, o.rounds, o.targets, o.phases, o.relayJvmOptions, Integer.parseInt(v));
                default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + usage());
            };
        }
        if (!o.targets.contains("direct")) {
            List<String> t = new ArrayList<>(o.targets);
            t.add(0, "direct"); // ratios need the baseline
            o = o.with(o.relayJar, o.out, o.rounds, t, o.phases, o.relayJvmOptions, o.idleSockets);
        }
        return smoke ? o.smoke() : o;
    }

    private BenchOptions with(Path jar, Path outDir, int r, List<String> t, List<String> p, List<String> jvm, int idle) {
        return new BenchOptions(jar, outDir, r, httpWindow, wsWindow, wsSockets, pacedEventsPerSecond, idle, startups,
                t, p, jvm);
    }

    private static List<String> split(String v, List<String> allowed) {
        List<String> items = Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        for (String item : items) {
            if (!allowed.contains(item)) {
                throw new IllegalArgumentException("\"" + item + "\" is not one of " + allowed);
            }
        }
        return items;
    }

    static String usage() {
        return """
                usage: bench/run.sh [--smoke] [--out DIR] [--rounds N] [--targets direct,relay,nginx,apache,haproxy]
                                    [--phases http,floor,h2,ws,idle,startup] [--idle-sockets N] [--relay-jar PATH]
                                    [--relay-jvm-options "-XX:StartFlightRecording=..."]""";
    }
}

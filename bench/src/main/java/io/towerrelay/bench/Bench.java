package io.towerrelay.bench;

import io.towerrelay.bench.load.H2load;
import io.towerrelay.bench.load.HttpSample;
import io.towerrelay.bench.load.Wrk;
import io.towerrelay.bench.load.WsLoad;
import io.towerrelay.bench.load.WsSample;
import io.towerrelay.bench.proxies.ApacheSetup;
import io.towerrelay.bench.proxies.H2Setups;
import io.towerrelay.bench.proxies.HaproxySetup;
import io.towerrelay.bench.proxies.HttpCore5ProgramSetup;
import io.towerrelay.bench.proxies.NginxSetup;
import io.towerrelay.bench.proxies.Ports;
import io.towerrelay.bench.proxies.ProcessTree;
import io.towerrelay.bench.proxies.ProxySetup;
import io.towerrelay.bench.proxies.RelaySetup;
import io.towerrelay.bench.proxies.RunningProxy;
import io.towerrelay.bench.report.JsonReport;
import io.towerrelay.bench.report.MarkdownReport;
import io.towerrelay.bench.report.Results;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark: one backend, the relay, NGINX, Apache and HAProxy in front of it plus the direct connection,
 * measured in the same run, alternating targets within each round (each round starts with a different target,
 * so slow drift of the shared machine spreads over all of them).
 */
public final class Bench {

    /** The HTTP tests: name, path, keep-alive. */
    record HttpTest(String name, String path, boolean keepAlive) {}

    /** How long each HTTP test's load runs against each target before the measured rounds. */
    static final Duration HTTP_WARM_UP = Duration.ofSeconds(5);
    private static final double WARM_UP_RISE = 0.10;
    /**
     * Why each phase runs one round of its tests, unrecorded, between the warm-ups and the measured rounds. A target
     * warms up alone, then sits idle while the others do, for minutes: long enough for its keep-alive connections to
     * the backend to time out (60 s for the relay and NGINX). A JVM that closes them deoptimizes the hot code that
     * this rare path runs through, and recompiles it, with the connections it opens again, in the next run: by hand
     * (PrintCompilation, 3 minutes idle after the same warm-up), 70 methods made not entrant, about 100 compiled in
     * the first 3 s of load, and 7.4 µs of user CPU per small request in that run against 5.3 in the next. The
     * measured rounds then come at most one round apart for every target, as they do after this one.
     */
    static final String UNRECORDED_ROUND_WHY = "every target has sat idle while the others warmed up";
    private static final int MAX_WARM_UP_PASSES = 5;

    static final List<HttpTest> HTTP_TESTS = List.of(
            new HttpTest("small-keepalive", "/api/v2/ping/", true),
            new HttpTest("small-close", "/api/v2/ping/", false),
            new HttpTest("64k-keepalive", "/api/v2/bench/64k/", true),
            new HttpTest("64k-close", "/api/v2/bench/64k/", false));

    private final BenchOptions options;
    private final Results results = new Results();
    /** How the machine's CPU time went during each phase run (see MachineFacts.CpuTimes), in run order. */
    private final Map<String, String> phaseCpu = new LinkedHashMap<>();
    private final Path work;
    private Process backend;
    private int backendPort;
    private final Map<String, RunningProxy> running = new LinkedHashMap<>();
    private final Map<String, Integer> starts = new LinkedHashMap<>();

    Bench(BenchOptions options) throws IOException {
        this.options = options;
        this.work = Files.createDirectories(options.out().resolve("work"));
    }

    public static void main(String[] args) throws Exception {
        Path repo = Path.of("").toAbsolutePath();
        BenchOptions options;
        try {
            options = BenchOptions.parse(args, repo.resolve("java-agent/target/tower-relay.jar"), repo.resolve("bench/out"));
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Results results = run(options);
        System.out.println(Files.readString(options.out().resolve("results.md")));
        System.exit(results.notes().containsKey("failed") ? 1 : 0);
    }

    /** Runs everything the options ask for and writes results.md and results.json into the out directory. */
    public static Results run(BenchOptions options) throws IOException, InterruptedException {
        Bench bench = new Bench(options);
        Instant started = Instant.now();
        MachineFacts.CpuTimes cpuAtStart = MachineFacts.CpuTimes.now();
        try {
            bench.execute();
        } catch (IOException | RuntimeException e) {
            bench.results.note("failed", e.toString());
            throw e;
        } finally {
            bench.stopAll();
            Duration took = Duration.between(started, Instant.now());
            bench.results.note("duration", took.toSeconds() + " s");
            MachineFacts facts = MachineFacts.collect(cpuAtStart, bench.phaseCpu);
            Files.writeString(options.out().resolve("results.md"), MarkdownReport.render(bench.results, options, facts));
            Files.writeString(options.out().resolve("results.json"), JsonReport.render(bench.results, options, facts));
        }
        return bench.results;
    }

    private void execute() throws IOException, InterruptedException {
        startBackend();
        for (String target : options.targets()) {
            start(target);
        }
        phase("http", this::httpPhase);
        phase("floor", this::floorPhase);
        phase("h2", this::h2Phase);
        phase("ws", this::wsPhase);
        phase("idle", this::idlePhase);
        phase("startup", this::startupPhase);
    }

    private interface Phase {
        void run() throws IOException, InterruptedException;
    }

    /** Runs the phase if the options ask for it, and keeps how the machine's CPU time went meanwhile. */
    private void phase(String name, Phase body) throws IOException, InterruptedException {
        if (!options.phases().contains(name)) {
            return;
        }
        MachineFacts.CpuTimes start = MachineFacts.CpuTimes.now();
        try {
            body.run();
        } finally {
            MachineFacts.CpuTimes end = MachineFacts.CpuTimes.now();
            phaseCpu.put(name, end == null ? "unknown" : end.since(start));
        }
    }

    private List<RunningProxy> rotation(int round) {
        List<RunningProxy> all = new ArrayList<>(running.values());
        List<RunningProxy> rotated = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            rotated.add(all.get((i + round) % all.size()));
        }
        return rotated;
    }

    private void httpPhase() throws IOException, InterruptedException {
        log("HTTP: wrk -t2 -c64, " + options.httpWindow().toSeconds() + " s per run, " + options.rounds() + " rounds");
        for (RunningProxy target : options.isSmoke() ? List.<RunningProxy>of() : running.values()) {
            int passes = httpWarmUp(target);
            results.add("http", "warm-up", target.name(), "passes", passes);
            log(String.format("  warm-up %-8s %d passes of the four tests", target.name(), passes));
        }
        if (!options.isSmoke()) {
            unrecordedHttpRound(rotation(0));
        }
        for (int round = 0; round < options.rounds(); round++) {
            for (HttpTest test : HTTP_TESTS) {
                for (RunningProxy target : rotation(round)) {
                    measureWrk("http", target, test, url(target, test.path()), 64, 2, options.httpWindow(), round);
                }
            }
        }
    }

    /**
     * What the relay's building blocks cost, by the HTTP phase's tests, alternating: the backend (plain JDK NIO, one
     * read and one write per request) and HttpCore5's own server, each answering alone, and the least proxy on
     * HttpCore5's reactor ({@code floor.ReactorProxy}) and its handlers on the JDK's selector alone
     * ({@code floor.SelectorProxy}), both in front of the backend. A proxy on HttpCore5's HTTP/1.1 server does that
     * server's work for every request and an upstream exchange besides; the reactor proxy shows what a proxy on
     * HttpCore5's reactor, sessions and line parser costs without HttpCore5's HTTP/1.1 handlers, and the selector
     * proxy what the same work costs without HttpCore5's reactor. The report sets these next to the relay's and
     * NGINX's CPU per request from the HTTP phase.
     */
    private void floorPhase() throws IOException, InterruptedException {
        ProxySetup serverSetup = HttpCore5ProgramSetup.server(benchJar(), options.relayJar());
        ProxySetup proxySetup = HttpCore5ProgramSetup.reactorProxy(benchJar(), options.relayJar());
        ProxySetup selectorSetup = HttpCore5ProgramSetup.selectorProxy(benchJar(), options.relayJar());
        if (!serverSetup.available()) {
            throw new IOException("the floor phase needs the relay jar (for HttpCore5): " + options.relayJar());
        }
        log("floor: the backend and HttpCore5's own server, each answering alone, and the reactor proxy and the selector "
                + "proxy in front of the backend; wrk -t2 -c64, " + options.httpWindow().toSeconds() + " s per run, " + options.rounds() + " rounds");
        try (RunningProxy server = RunningProxy.start(serverSetup, Files.createDirectories(work.resolve("httpcore5")), backendPort);
             RunningProxy proxy = RunningProxy.start(proxySetup, Files.createDirectories(work.resolve("reactor-proxy")), backendPort);
             RunningProxy selectorProxy = RunningProxy.start(selectorSetup, Files.createDirectories(work.resolve("selector-proxy")), backendPort)) {
            RunningProxy direct = RunningProxy.direct(backendPort);
            List<RunningProxy> measured = List.of(direct, server, proxy, selectorProxy);
            if (!options.isSmoke()) {
                for (RunningProxy target : measured) {
                    log(String.format("  warm-up %-9s %d passes of the four tests", alone(target), httpWarmUp(target)));
                }
                unrecordedHttpRound(measured);
            }
            for (int round = 0; round < options.rounds(); round++) {
                for (HttpTest test : HTTP_TESTS) {
                    for (int i = 0; i < measured.size(); i++) {
                        RunningProxy target = measured.get((i + round) % measured.size());
                        ProcessTree.Cpu before = target.isDirect() ? ProcessTree.cpu(backend.pid()) : target.cpu();
                        HttpSample s = Wrk.run(url(target, test.path()), 64, 2, options.httpWindow(), test.keepAlive());
                        ProcessTree.Cpu after = target.isDirect() ? ProcessTree.cpu(backend.pid()) : target.cpu();
                        String name = alone(target);
                        double cpu = s.requests() > 0 ? after.microsSince(before) / s.requests() : Double.NaN;
                        double user = s.requests() > 0 ? after.userMicrosSince(before) / s.requests() : Double.NaN;
                        results.add("floor", test.name(), name, "rps", s.requestsPerSecond());
                        results.add("floor", test.name(), name, "p99_us", s.p99Micros());
                        if (!Double.isNaN(cpu)) {
                            results.add("floor", test.name(), name, "cpu_us_per_req", cpu);
                            results.add("floor", test.name(), name, "user_us_per_req", user);
                        }
                        results.add("floor", test.name(), name, "errors", s.errors());
                        results.add("floor", test.name(), name, "non_2xx", s.non2xx());
                        log(String.format("  round %d %-16s %-9s %,10.0f req/s  p99 %,8.0f us  CPU %,6.1f us/req (user %,6.1f)%s",
                                round + 1, test.name(), name, s.requestsPerSecond(), s.p99Micros(), cpu, user,
                                s.errors() > 0 ? "  ERRORS: " + s.errors() : ""));
                    }
                }
            }
        }
    }

    /** The HTTP tests against {@code targets}, in that order, once, not recorded ({@link #UNRECORDED_ROUND_WHY}). */
    private void unrecordedHttpRound(List<RunningProxy> targets) throws IOException, InterruptedException {
        log("  round 0 (not recorded: after the warm-ups, " + UNRECORDED_ROUND_WHY + ")");
        for (HttpTest test : HTTP_TESTS) {
            for (RunningProxy target : targets) {
                Wrk.run(url(target, test.path()), 64, 2, options.httpWindow(), test.keepAlive());
            }
        }
    }

    /** The floor phase's name for what it measures: the backend's own, HttpCore5's server, or one of the floor proxies. */
    private static String alone(RunningProxy target) {
        return target.isDirect() ? "backend" : target.name();
    }

    /**
     * The proxy's CPU time (all its processes; user + system, or user alone) during a wrk run per request
     * completed: what a request costs the proxy, whatever share of the cores it got while wrk and the backend ran
     * on them too (it still moves between rounds: caches and context switches depend on that sharing). NaN for the
     * direct connection (no proxy) and for a run that completed nothing.
     */
    private static double perRequest(RunningProxy target, HttpSample s, double cpuMicros) {
        if (target.isDirect() || s.requests() == 0) {
            return Double.NaN;
        }
        return cpuMicros / s.requests();
    }

    /**
     * Warm-up, not recorded, by the same rule for every target: passes of each test's load for HTTP_WARM_UP until no
     * test's rate rose by more than WARM_UP_RISE over the pass before (at most MAX_WARM_UP_PASSES). A JVM's JIT
     * compiler takes a core for tens of seconds of load on this 2-core machine (per-thread CPU from /proc), and a
     * measurement taken meanwhile reports the compiler, not the proxy an operator runs for days; NGINX is steady
     * from the first pass.
     *
     * @return the passes it took
     */
    private static int warmUp(int tests, TestRun run) throws IOException, InterruptedException {
        double[] last = null;
        for (int pass = 1; ; pass++) {
            double[] rates = new double[tests];
            boolean rose = false;
            for (int i = 0; i < tests; i++) {
                rates[i] = run.rate(i);
                rose |= last == null || rates[i] > last[i] * (1 + WARM_UP_RISE);
            }
            if (!rose || pass == MAX_WARM_UP_PASSES) {
                return pass;
            }
            last = rates;
        }
    }

    /** One warm-up run of a phase's test {@code i}: the requests per second it got. */
    private interface TestRun {
        double rate(int i) throws IOException, InterruptedException;
    }

    private int httpWarmUp(RunningProxy target) throws IOException, InterruptedException {
        return warmUp(HTTP_TESTS.size(), i -> Wrk.run(url(target, HTTP_TESTS.get(i).path()), 64, 2, HTTP_WARM_UP,
                HTTP_TESTS.get(i).keepAlive()).requestsPerSecond());
    }

    /**
     * HTTP/2 over TLS: h2load with 8 connections of 8 streams each (64 requests in flight, as the HTTP phase's 64
     * connections; the relay's upstream.pool-size is 64 here too), against the relay, NGINX and HAProxy on TLS
     * listeners that offer h2 by ALPN, the same backend behind over HTTP/1.1. As in the HTTP phase, each proxy is
     * started once, warmed up by the same rule ({@link #warmUp}), and the rounds alternate the targets. A fixed
     * warm-up of seconds measures a JVM's compiler: profiles of the relay showed its TLS layer's AES-GCM still run
     * in plain Java, not by the JIT's intrinsics, for about 45 s of load on 2 cores.
     */
    private void h2Phase() throws IOException, InterruptedException {
        List<String> targets = H2Setups.TARGETS.stream().filter(options.targets()::contains).toList();
        log("HTTP/2 over TLS: h2load -c8 -m8 -t2 (64 streams, as the HTTP phase's 64 connections), " + (options.isSmoke() ? "200 requests" : options.httpWindow().toSeconds() + " s")
                + " per run, " + options.rounds() + " rounds, " + targets);
        Path certs = work.resolve("h2-certificate");
        H2Setups.certificate(certs);
        Map<String, RunningProxy> proxies = new LinkedHashMap<>();
        try {
            for (String name : targets) {
                ProxySetup setup = H2Setups.setup(name, certs, options.relayJar(), options.relayJvmOptions());
                if (!setup.available()) {
                    throw new IOException(name + " is not installed");
                }
                proxies.put(name, RunningProxy.start(setup, Files.createDirectories(work.resolve(name + "-h2")), backendPort, true));
            }
            for (Map.Entry<String, RunningProxy> p : options.isSmoke() ? Map.<String, RunningProxy>of().entrySet() : proxies.entrySet()) {
                int passes = h2WarmUp(p.getValue());
                results.add("h2", "warm-up", p.getKey(), "passes", passes);
                log(String.format("  warm-up %-8s %d passes of the h2 and HTTPS tests", p.getKey(), passes));
            }
            if (!options.isSmoke()) {
                log("  round 0 (not recorded: after the warm-ups, " + UNRECORDED_ROUND_WHY + ")");
                for (String name : targets) {
                    for (String[] test : H2_TESTS) {
                        H2load.run(h2Url(proxies.get(name), test[1]), 8, 8, options.httpWindow(), 0);
                    }
                    for (HttpTest test : HTTPS_TESTS) {
                        Wrk.run(h2Url(proxies.get(name), test.path()), 64, 2, options.httpWindow(), test.keepAlive());
                    }
                }
            }
            for (int round = 0; round < options.rounds(); round++) {
                for (int i = 0; i < targets.size(); i++) {
                    String name = targets.get((i + round) % targets.size());
                    for (String[] test : H2_TESTS) {
                        String url = h2Url(proxies.get(name), test[1]);
                        H2load.Sample s = options.isSmoke() ? H2load.run(url, 2, 10, null, 200)
                                : H2load.run(url, 8, 8, options.httpWindow(), 0);
                        results.add("h2", test[0], name, "rps", s.requestsPerSecond());
                        results.add("h2", test[0], name, "mean_us", s.meanMicros());
                        results.add("h2", test[0], name, "failed", s.failed());
                        results.add("h2", test[0], name, "non_2xx", s.non2xx());
                        log(String.format("  round %d %-10s %-8s %,10.0f req/s  mean %,8.0f us%s", round + 1, test[0], name,
                                s.requestsPerSecond(), s.meanMicros(), s.failed() > 0 ? "  FAILED: " + s.failed() : ""));
                    }
                    for (HttpTest test : HTTPS_TESTS) {
                        https(proxies.get(name), test, round);
                    }
                }
            }
        } finally {
            for (RunningProxy p : proxies.values()) {
                p.close();
            }
        }
    }

    /** The two h2 tests, then the HTTPS ones: each path through the TLS layer is warm before the rounds. */
    private int h2WarmUp(RunningProxy target) throws IOException, InterruptedException {
        return warmUp(H2_TESTS.size() + HTTPS_TESTS.size(), i -> i < H2_TESTS.size()
                ? H2load.run(h2Url(target, H2_TESTS.get(i)[1]), 8, 8, HTTP_WARM_UP, 0).requestsPerSecond()
                : Wrk.run(h2Url(target, HTTPS_TESTS.get(i - H2_TESTS.size()).path()), 64, 2, HTTP_WARM_UP,
                        HTTPS_TESTS.get(i - H2_TESTS.size()).keepAlive()).requestsPerSecond());
    }

    /**
     * HTTP/1.1 over TLS on the same listeners (wrk offers no ALPN, so each proxy answers HTTP/1.1): what a browser's
     * or an API client's HTTPS requests cost, and with a new connection per request, what a full TLS handshake does.
     */
    private void https(RunningProxy target, HttpTest test, int round) throws IOException, InterruptedException {
        String url = h2Url(target, test.path());
        if (options.isSmoke()) {
            measureWrk("https", target, test, url, 8, 1, Duration.ofSeconds(1), round);
        } else {
            measureWrk("https", target, test, url, 64, 2, options.httpWindow(), round);
        }
    }

    /** One measured wrk run against {@code target}: rate, latency, CPU per request and errors under {@code family}. */
    private void measureWrk(String family, RunningProxy target, HttpTest test, String url, int connections, int threads,
            Duration window, int round) throws IOException, InterruptedException {
        ProcessTree.Cpu cpuBefore = target.cpu();
        HttpSample s = Wrk.run(url, connections, threads, window, test.keepAlive());
        ProcessTree.Cpu cpuAfter = target.cpu();
        double cpuPerRequest = perRequest(target, s, cpuAfter.microsSince(cpuBefore));
        double userPerRequest = perRequest(target, s, cpuAfter.userMicrosSince(cpuBefore));
        results.add(family, test.name(), target.name(), "rps", s.requestsPerSecond());
        results.add(family, test.name(), target.name(), "p50_us", s.p50Micros());
        results.add(family, test.name(), target.name(), "p99_us", s.p99Micros());
        if (!Double.isNaN(cpuPerRequest)) {
            results.add(family, test.name(), target.name(), "cpu_us_per_req", cpuPerRequest);
            results.add(family, test.name(), target.name(), "user_us_per_req", userPerRequest);
        }
        results.add(family, test.name(), target.name(), "errors", s.errors());
        results.add(family, test.name(), target.name(), "socket_errors", s.socketErrors());
        results.add(family, test.name(), target.name(), "timeouts", s.timeouts());
        results.add(family, test.name(), target.name(), "non_2xx", s.non2xx());
        log(String.format("  round %d %-16s %-8s %,10.0f req/s  p50 %,8.0f us  p99 %,8.0f us%s%s", round + 1,
                test.name(), target.name(), s.requestsPerSecond(), s.p50Micros(), s.p99Micros(),
                Double.isNaN(cpuPerRequest) ? "" : String.format("  CPU %,6.1f us/req (user %,6.1f)", cpuPerRequest, userPerRequest),
                s.errors() > 0 ? String.format("  ERRORS: %d socket, %d timeouts, %d non-2xx", s.socketErrors(), s.timeouts(), s.non2xx()) : ""));
    }

    private static String h2Url(RunningProxy proxy, String path) {
        return "https://127.0.0.1:" + proxy.address().getPort() + path;
    }

    /** HTTP/1.1 over TLS, in the HTTP/2 phase (its listeners): small answers, keep-alive and a new connection each. */
    static final List<HttpTest> HTTPS_TESTS = List.of(
            new HttpTest("https-small-keepalive", "/api/v2/ping/", true),
            new HttpTest("https-small-close", "/api/v2/ping/", false));

    /** The HTTP/2 phase's tests: name, path. */
    static final List<String[]> H2_TESTS = List.of(
            new String[] {"small", "/api/v2/ping/"},
            new String[] {"64k", "/api/v2/bench/64k/"});

    private void wsPhase() throws IOException, InterruptedException {
        log("WebSocket: " + options.wsSockets() + " sockets; flood for events/s, paced at "
                + options.pacedEventsPerSecond() + " events/s in all for latency; " + options.rounds() + " rounds");
        for (RunningProxy target : options.isSmoke() ? List.<RunningProxy>of() : running.values()) {
            try (WsLoad load = new WsLoad(2)) { // warm-up, not recorded
                load.open(target.address(), "/websocket/?mode=flood", 10, Duration.ofSeconds(60));
                load.subscribeAll();
                Thread.sleep(1000);
            }
        }
        for (int round = 0; round < options.rounds(); round++) {
            for (int sockets : options.wsSockets()) {
                for (RunningProxy target : rotation(round)) {
                    String test = sockets + "-sockets";
                    WsSample flood;
                    WsSample paced;
                    try {
                        flood = ws(target, sockets, "/websocket/?mode=flood");
                        long intervalMicros = Math.max(1, 1_000_000L * sockets / options.pacedEventsPerSecond());
                        paced = ws(target, sockets, "/websocket/?mode=paced&interval_us=" + intervalMicros);
                    } catch (IOException e) {
                        // Recorded and reported; the other targets and rounds still run.
                        results.add("ws", test, target.name(), "failures", 1);
                        String why = e.getMessage() + backendTrouble();
                        results.note("ws " + target.name() + " " + test + " round " + (round + 1), why);
                        log(String.format("  round %d %5d sockets %-8s FAILED: %s", round + 1, sockets, target.name(), why));
                        continue;
                    }
                    results.add("ws", test, target.name(), "events_per_s", flood.eventsPerSecond());
                    results.add("ws", test, target.name(), "p50_us", paced.p50Micros());
                    results.add("ws", test, target.name(), "p99_us", paced.p99Micros());
                    results.add("ws", test, target.name(), "paced_events_per_s", paced.eventsPerSecond());
                    results.add("ws", test, target.name(), "lost_sockets", flood.lostSockets() + paced.lostSockets());
                    log(String.format("  round %d %5d sockets %-8s %,10.0f events/s   paced %,6.0f/s p50 %,6d us p99 %,7d us",
                            round + 1, sockets, target.name(), flood.eventsPerSecond(), paced.eventsPerSecond(),
                            paced.p50Micros(), paced.p99Micros()));
                }
            }
        }
    }

    private WsSample ws(RunningProxy target, int sockets, String path) throws IOException, InterruptedException {
        try (WsLoad load = new WsLoad(2)) {
            load.open(target.address(), path, sockets, Duration.ofSeconds(60));
            load.subscribeAll();
            Thread.sleep(300); // let the stream and the proxy settle
            return load.record(options.wsWindow());
        }
    }

    /** Each proxy fresh, alone, holding N idle sockets (the backend sends nothing after the subscription). */
    private void idlePhase() throws IOException, InterruptedException {
        int n = options.idleSockets();
        log("memory: " + n + " idle WebSockets through each proxy, started fresh");
        for (String name : new ArrayList<>(running.keySet())) {
            if (name.equals("direct")) {
                continue;
            }
            running.remove(name).close();
            RunningProxy proxy = start(name);
            Thread.sleep(500);
            ProcessTree.Memory before = proxy.memory();
            try (WsLoad load = new WsLoad(2)) {
                long t0 = System.nanoTime();
                try {
                    load.open(proxy.address(), "/websocket/?mode=idle", n, Duration.ofSeconds(180));
                } catch (IOException e) {
                    // A proxy that cannot hold them all is a result, not the end of the run.
                    ProcessTree.Memory at = proxy.memory();
                    long opened = load.openSockets();
                    results.add("idle", n + "-sockets", name, "failed_after_sockets", opened);
                    results.add("idle", n + "-sockets", name, "rss_before_kib", before.rssKib());
                    results.add("idle", n + "-sockets", name, "rss_at_failure_kib", at.rssKib());
                    String why = e.getMessage() + lastLines(proxy.log(), 3) + backendTrouble();
                    results.note("idle " + name, "gave out after " + opened + " sockets: " + why);
                    log(String.format("  %-8s FAILED after %d sockets (RSS %,d KiB): %s", name, opened, at.rssKib(), why));
                    running.remove(name).close();
                    start(name);
                    continue;
                }
                load.subscribeAll();
                double openSeconds = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(2000);
                ProcessTree.Memory held = proxy.memory();
                long lost = load.lostOpenSockets();
                results.add("idle", n + "-sockets", name, "rss_before_kib", before.rssKib());
                results.add("idle", n + "-sockets", name, "rss_kib", held.rssKib());
                results.add("idle", n + "-sockets", name, "pss_kib", held.pssKib());
                results.add("idle", n + "-sockets", name, "processes", held.processes());
                results.add("idle", n + "-sockets", name, "open_seconds", openSeconds);
                results.add("idle", n + "-sockets", name, "lost_sockets", lost);
                log(String.format("  %-8s before %,7d KiB  holding %d sockets: RSS %,8d KiB  PSS %,8d KiB in %d processes"
                        + " (opened in %.1f s, %d lost)", name, before.rssKib(), n, held.rssKib(), held.pssKib(),
                        held.processes(), openSeconds, lost));
            }
            // The proxy keeps running for the start-up phase; its closed sockets drain meanwhile.
        }
    }

    private static String lastLines(Path log, int count) {
        try {
            List<String> lines = Files.readAllLines(log).stream()
                    .filter(l -> !l.contains(" opened: ") && !l.contains(" closed: ")).toList();
            return lines.isEmpty() ? "" : "; the proxy said: "
                    + String.join(" / ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * What the backend said besides that it listens, and whether it still runs: a failure to open sockets through a
     * proxy may be the backend's (in one full run a backend thread died of an OutOfMemoryError in the memory phase,
     * and the proxies after it could open no more than ~1,000 sockets). Empty when the backend is fine.
     */
    private String backendTrouble() {
        String said;
        try {
            List<String> lines = Files.readAllLines(work.resolve("backend.log")).stream()
                    .filter(l -> !l.startsWith("backend listening on ") && !l.startsWith("\tat ")).toList();
            said = String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException | RuntimeException e) {
            said = "";
        }
        if (backend != null && !backend.isAlive()) {
            return "; the backend has exited (code " + backend.exitValue() + ")" + (said.isEmpty() ? "" : ": " + said);
        }
        return said.isEmpty() ? "" : "; the backend said: " + said;
    }

    private void startupPhase() throws IOException, InterruptedException {
        if (!running.containsKey("relay")) {
            return;
        }
        log("start-up: relay restarted " + options.startups() + " times");
        for (int i = 0; i < options.startups(); i++) {
            running.remove("relay").close();
            start("relay");
        }
    }

    private RunningProxy start(String name) throws IOException, InterruptedException {
        RunningProxy proxy;
        if (name.equals("direct")) {
            proxy = RunningProxy.direct(backendPort);
        } else {
            ProxySetup setup = setup(name);
            if (!setup.available()) {
                throw new IOException(name + " is not installed (apt-get install -y nginx apache2 haproxy wrk; "
                        + "the relay jar: mvn -B -ntp -q package -DskipTests)");
            }
            int n = starts.merge(name, 1, Integer::sum); // each start its own directory: logs survive restarts
            proxy = RunningProxy.start(setup, Files.createDirectories(work.resolve(name + "-" + n)), backendPort);
            results.add("startup", "start", name, "accept_ms", proxy.acceptMillis());
            results.add("startup", "start", name, "first_response_ms", proxy.firstResponseMillis());
            log(String.format("  started %-8s on %s: accepting after %.0f ms, first proxied answer after %.0f ms",
                    name, proxy.address(), proxy.acceptMillis(), proxy.firstResponseMillis()));
        }
        running.put(name, proxy);
        return proxy;
    }

    private ProxySetup setup(String name) {
        return switch (name) {
            case "relay" -> new RelaySetup(options.relayJar(), options.relayJvmOptions());
            case "nginx" -> new NginxSetup();
            case "apache" -> new ApacheSetup();
            case "haproxy" -> new HaproxySetup();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** This harness's own jar (the backend and HttpCore5Server run from it). */
    private static Path benchJar() throws IOException {
        try {
            return Path.of(Bench.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }

    private void startBackend() throws IOException, InterruptedException {
        backendPort = Ports.free();
        Path jar = benchJar();
        Path log = work.resolve("backend.log");
        backend = new ProcessBuilder("java", "-Xms256m", "-Xmx256m", "-XX:+UseParallelGC", "-cp", jar.toString(),
                "io.towerrelay.bench.backend.Backend", Integer.toString(backendPort), "2")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!backend.isAlive()) {
                throw new IOException("backend exited: " + Files.readString(log));
            }
            if (pingBackend()) {
                log("backend on 127.0.0.1:" + backendPort);
                return;
            }
            Thread.sleep(20);
        }
        throw new IOException("backend did not start: " + Files.readString(log));
    }

    private boolean pingBackend() {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", backendPort)) {
            s.getOutputStream().write("GET /api/v2/ping/ HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n".getBytes());
            return new String(s.getInputStream().readNBytes(12)).equals("HTTP/1.1 200");
        } catch (IOException e) {
            return false;
        }
    }

    private void stopAll() {
        for (RunningProxy p : running.values()) {
            try {
                p.close();
            } catch (IOException | InterruptedException e) {
                log("stopping " + p.name() + ": " + e);
            }
        }
        running.clear();
        if (backend != null) {
            backend.destroyForcibly();
        }
    }

    private static String url(RunningProxy target, String path) {
        return "http://" + target.address().getHostString() + ":" + target.address().getPort() + path;
    }

    static void log(String line) {
        System.err.println(line);
    }
}

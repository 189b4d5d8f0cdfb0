package io.towerrelay.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.testsupport.TestCertificates;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.testcontainers.containers.GenericContainer;

/**
 * The peer conformance suite: the relay, NGINX and Apache with the configs our roles render, and the
 * seed document's NGINX and Apache samples (negative controls), each in a container from the local test
 * image in front of one mock Tower, all held to the same checks ({@link Check}). The relay and the role
 * configs must pass every check; each sample must fail exactly the checks {@link Front} lists, the way
 * it lists them. The role configs are rendered with TLS on, so with HTTP/2 on (the roles' default): every
 * check runs through them over https/wss (pages over h2, WebSockets over http/1.1, as a browser does). The
 * idle checks of all proxies run at the same time, from the start of the class.
 * Results are written to target/conformance/results.md (the table in docs/testing.md).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxyConformanceIT {
    static final Duration IDLE = Duration.ofSeconds(75);

    private MockTower tower;
    private final Map<Front, GenericContainer<?>> containers = new EnumMap<>(Front.class);
    private final Map<Front, Integer> ports = new EnumMap<>(Front.class);
    private final Map<Front, CompletableFuture<Outcome>> idleChecks = new EnumMap<>(Front.class);
    private final Map<Front, Map<Check, Outcome>> results = new ConcurrentHashMap<>();
    private Path outDir;
    private SSLContext clientTls;

    @BeforeAll
    void startFronts() throws Exception {
        String image = TestImage.requireImage();
        Path repo = TestImage.repoRoot();
        outDir = Path.of("target", "conformance").toAbsolutePath();
        Files.createDirectories(outDir);

        // No pings (Daphne would ping every 20 s): a quiet socket must be really quiet for the idle
        // check, as it is when pings are off or a proxy only counts upstream reads.
        tower = MockTower.start(MockTowerOptions.ephemeral()
                .withPingInterval(Duration.ZERO)
                .withEventInterval(Duration.ofMillis(100)));
        String upstream = tower.hostAndPort();

        List<Integer> free = freePorts(Front.values().length + 1);
        for (Front front : Front.values()) {
            ports.put(front, free.get(front.ordinal()));
        }
        int relayAdminPort = free.get(Front.values().length);

        Path tlsDir = outDir.resolve("tls");
        Files.createDirectories(tlsDir);
        TestCertificates certs = TestCertificates.create(tlsDir);
        clientTls = certs.clientContext();
        FrontContainers.ServerVersions versions = FrontContainers.serverVersions(image);
        Path rendered = Path.of("target", "rendered").toAbsolutePath();
        renderRoleConfigs(repo, rendered, upstream, ports.get(Front.NGINX_ROLE), ports.get(Front.APACHE_ROLE), versions);

        Path jar = Path.of(System.getProperty("towerrelay.jar", "target/tower-relay.jar")).toAbsolutePath();
        containers.put(Front.RELAY, FrontContainers.relay(image, jar, ports.get(Front.RELAY), relayAdminPort, upstream));
        containers.put(Front.NGINX_ROLE, FrontContainers.withTowerCertificate(FrontContainers.nginx(image,
                Files.readString(rendered.resolve("nginx-role.conf")), ports.get(Front.NGINX_ROLE)),
                certs.certPem, certs.keyPem));
        // The modules role `apache` enables on Debian with TLS and HTTP/2 on.
        containers.put(Front.APACHE_ROLE, FrontContainers.withTowerCertificate(FrontContainers.apache(image,
                Files.readString(rendered.resolve("apache-role.conf")), ports.get(Front.APACHE_ROLE),
                List.of("proxy", "proxy_http", "proxy_wstunnel", "headers", "rewrite", "setenvif", "ssl", "http2")),
                certs.certPem, certs.keyPem));
        containers.put(Front.NGINX_SEED, FrontContainers.nginx(image,
                seedSample("seed-nginx.conf", ports.get(Front.NGINX_SEED), upstream), ports.get(Front.NGINX_SEED)));
        containers.put(Front.APACHE_SEED, FrontContainers.apache(image,
                seedSample("seed-apache.conf", ports.get(Front.APACHE_SEED), upstream), ports.get(Front.APACHE_SEED),
                List.of("rewrite", "proxy", "proxy_http", "proxy_wstunnel")));
        containers.values().parallelStream().forEach(GenericContainer::start);

        for (Front front : Front.values()) {
            TowerBrowser browser = browser(front);
            idleChecks.put(front, CompletableFuture.supplyAsync(() -> browser.idleThenEvents("/websocket/", IDLE),
                    runnable -> new Thread(runnable, "idle-" + front).start()));
        }
    }

    @AfterAll
    void stopFronts() throws IOException {
        for (Map.Entry<Front, GenericContainer<?>> entry : containers.entrySet()) {
            GenericContainer<?> container = entry.getValue();
            if (container.isRunning()) {
                Files.writeString(outDir.resolve(entry.getKey().name().toLowerCase() + ".log"), container.getLogs());
            }
            container.stop();
        }
        if (tower != null) {
            tower.close();
        }
        if (outDir != null && !results.isEmpty()) {
            Files.writeString(outDir.resolve("results.md"), ConformanceTable.render(results));
        }
    }

    private TowerBrowser browser(Front front) {
        return new TowerBrowser(ports.get(front), tower.hostAndPort(), front.tls ? clientTls : null);
    }

    private void verify(Front front, Check check, Outcome outcome) {
        results.computeIfAbsent(front, f -> new ConcurrentHashMap<>()).put(check, outcome);
        String what = front.title + " / " + check.column + ": " + check.meaning;
        front.knownFailure(check).ifPresentOrElse(
                expected -> assertThat(outcome)
                        .as("%s is a known failure of this negative control, seen as '%s'", what, expected)
                        .isEqualTo(Outcome.fail(expected)),
                () -> assertThat(outcome.passed()).as("%s; observed: %s", what, outcome.observed()).isTrue());
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void pageLoads(Front front) {
        verify(front, Check.PAGE_LOADS, browser(front).loadPage());
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void liveEventsOnWebsocket(Front front) {
        verify(front, Check.EVENTS_WEBSOCKET, browser(front).liveEvents("/websocket/"));
    }

    @Order(3)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void liveEventsOnApiWebsocket(Front front) {
        verify(front, Check.EVENTS_API_WEBSOCKET, browser(front).liveEvents("/api/websocket/"));
    }

    @Order(4)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void hostReachesUpstream(Front front) {
        verify(front, Check.HOST_REACHES_UPSTREAM, browser(front).hostReachesUpstream());
    }

    @Order(5)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void forwardedForReachesUpstream(Front front) {
        verify(front, Check.FORWARDED_FOR_REACHES_UPSTREAM, browser(front).forwardedForReachesUpstream());
    }

    @Order(6)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void refusedHandshakeOnWebsocketIsPassedThrough(Front front) {
        verify(front, Check.REFUSED_HANDSHAKE_WEBSOCKET, browser(front).refusedHandshake("/websocket/"));
    }

    @Order(7)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void refusedHandshakeOnApiWebsocketIsPassedThrough(Front front) {
        verify(front, Check.REFUSED_HANDSHAKE_API_WEBSOCKET, browser(front).refusedHandshake("/api/websocket/"));
    }

    @Order(8)
    @ParameterizedTest(name = "{0}")
    @EnumSource(Front.class)
    void socketIdleFor75sStillWorks(Front front) throws Exception {
        // Started for every front in startFronts(), so all proxies idle at the same time.
        Outcome outcome = idleChecks.get(front).get(IDLE.toSeconds() + 120, TimeUnit.SECONDS);
        verify(front, Check.IDLE_75S_SURVIVES, outcome);
    }

    @Order(9)
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = Front.class, names = {"NGINX_ROLE", "APACHE_ROLE"})
    void http2AndHttp11OnTheSameTlsPort(Front front) {
        verify(front, Check.HTTP2_AND_HTTP11_ON_TLS, browser(front).http2AndHttp11());
    }

    /** Free loopback ports, held together while picked so no two are the same. */
    private static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    /** The seed document's sample, with its placeholders set to this run's loopback addresses. */
    private static String seedSample(String resource, int listenPort, String upstream) throws IOException {
        try (var in = ProxyConformanceIT.class.getResourceAsStream("/conformance/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource conformance/" + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("@LISTEN_PORT@", Integer.toString(listenPort))
                    .replace("@UPSTREAM_PORT@", upstream.substring(upstream.lastIndexOf(':') + 1))
                    .replace("@UPSTREAM@", upstream);
        }
    }

    /** Renders the nginx and apache role templates (scripts/render-role-configs.sh, Ansible's template). */
    private static void renderRoleConfigs(Path repo, Path out, String upstream, int nginxPort, int apachePort,
            FrontContainers.ServerVersions versions) throws IOException, InterruptedException {
        Process render = new ProcessBuilder("bash", repo.resolve("scripts/render-role-configs.sh").toString(),
                out.toString(), upstream, Integer.toString(nginxPort), Integer.toString(apachePort),
                versions.nginx(), versions.apache())
                .redirectErrorStream(true)
                .start();
        String output = new String(render.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!render.waitFor(5, TimeUnit.MINUTES) || render.exitValue() != 0) {
            throw new IllegalStateException("rendering the role templates failed:\n" + output);
        }
    }
}

package io.towerrelay.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The probe pointed at tower-relay in front of the mock Tower: the defaults pass, misconfigurations are named. */
class ProbeThroughRelayIT {

    private static MockTower tower;

    @BeforeAll
    static void startTower() throws Exception {
        tower = MockTower.start(MockTowerOptions.ephemeral().withEventInterval(Duration.ofMillis(100)));
    }

    @AfterAll
    static void stopTower() throws Exception {
        tower.close();
    }

    private static RelayServer startRelay(RelayConfig config) throws Exception {
        return RelayServer.start(config, new PrintStream(OutputStream.nullOutputStream()));
    }

    private static RelayConfig relayToTower() {
        return RelayConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0))
                .withAdmin(null)
                .withUpstream(URI.create("http://" + tower.hostAndPort()));
    }

    private static URI page(RelayServer relay) {
        return URI.create("http://127.0.0.1:" + relay.listenAddress().getPort() + "/");
    }

    @Test
    void theRelayWithItsDefaultsPassesEveryCheck() throws Exception {
        try (RelayServer relay = startRelay(relayToTower())) {
            ProbeReport report = new LiveEventsProbe(ProbeOptions.of(page(relay)).withIdle(Duration.ofSeconds(2)))
                    .run();

            assertThat(report.liveEventsWork()).as(ReportWriter.human(report)).isTrue();
            // Which Tower node answered (the mock's default name), in both renderings.
            assertThat(report.activeNode()).isEqualTo("mock-tower");
            assertThat(ReportWriter.human(report)).contains("Tower node that answered: mock-tower\n");
            assertThat(ReportWriter.json(report)).contains("\"active_node\" : \"mock-tower\"");
            assertThat(report.checks()).as(ReportWriter.human(report))
                    .filteredOn(c -> c.status() != CheckStatus.PASS)
                    .extracting(Check::id)
                    .containsExactly(CheckIds.TLS); // plain http: skipped
            assertThat(report.check(CheckIds.CLIENT_ADDRESS).evidence())
                    .containsEntry("x-forwarded-for reaching Tower", "127.0.0.1");

            // The command line agrees: exit 0 and live_events true in the JSON document.
            ProbeThroughProxiesIT.CliRun cli = ProbeThroughProxiesIT.CliRun.probe(page(relay).toString(), "--json");
            assertThat(cli.exitCode()).as(cli.stdout() + cli.stderr()).isZero();
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(cli.stdout())
                    .get("live_events").asBoolean()).isTrue();
        }
    }

    @Test
    void aShortRelayIdleTimeoutIsNamedWithTheRelayKeyToRaise() throws Exception {
        RelayConfig config = relayToTower();
        config = config.withWebSocket(config.websocket().withIdleTimeout(Timeout.ofSeconds(2)));
        try (RelayServer relay = startRelay(config)) {
            ProbeReport report = new LiveEventsProbe(ProbeOptions.of(page(relay)).withIdle(Duration.ofSeconds(5)))
                    .run();

            Check idle = report.check(CheckIds.IDLE);
            assertThat(idle.cause()).as(ReportWriter.human(report)).isEqualTo(Cause.IDLE_CUT);
            assertThat(idle.advice().relay()).contains("idle-timeout: 1h");
            assertThat(report.exitCode()).isEqualTo(1);
        }
    }

    @Test
    void anOriginAllowlistWithoutTheUsersOriginRefusesTheHandshake() throws Exception {
        RelayConfig config = relayToTower();
        config = config.withWebSocket(config.websocket().withAllowedOrigins(Set.of("https://tower.example.com")));
        try (RelayServer relay = startRelay(config)) {
            ProbeReport report = new LiveEventsProbe(ProbeOptions.of(page(relay))).run();

            Check handshake = report.check(CheckIds.handshake("/api/websocket/"));
            assertThat(handshake.status()).as(ReportWriter.human(report)).isEqualTo(CheckStatus.FAIL);
            assertThat(handshake.cause()).isEqualTo(Cause.HANDSHAKE_FORBIDDEN);
            assertThat(handshake.advice().relay()).contains("allowed-origins");
        }
    }
}

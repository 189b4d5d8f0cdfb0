package io.towerrelay.cli;

import io.towerrelay.common.UserError;
import io.towerrelay.config.Addresses;
import io.towerrelay.config.RelayConfig;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import io.towerrelay.proxy.RelayServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.hc.core5.util.Timeout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code demo}: a mock Tower and the relay in front of it, for a first look at live events through tower-relay. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Start a mock Tower and the relay in front of it, then print the URL to open in a browser: "
                + "a job output page whose events stream over a WebSocket through the relay. "
                + "Runs until Ctrl-C or SIGTERM, then exits 0.")
public final class DemoCommand implements Callable<Integer> {

    /** A demo stops quickly: open tunnels end when the mock says goodbye, nothing else is in flight. */
    private static final Timeout SHUTDOWN_GRACE = Timeout.ofSeconds(5);

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
            description = "Where the relay listens, the address to open (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--tower", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8052",
            description = "Where the mock Tower listens; the relay's upstream (default: ${DEFAULT-VALUE}).")
    String tower;

    @Option(names = "--admin", paramLabel = "HOST:PORT|off", defaultValue = "127.0.0.1:9180",
            description = "The relay's admin listener for /healthz and /metrics, or off (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(names = "--event-interval-ms", paramLabel = "N", defaultValue = "500",
            description = "Milliseconds between job events (default: ${DEFAULT-VALUE}).")
    long eventIntervalMs;

    @Override
    public Integer call() throws InterruptedException {
        InetSocketAddress relayAddress = Listening.address("--listen", listen);
        InetSocketAddress towerAddress = Listening.address("--tower", tower);
        InetSocketAddress adminAddress = admin.trim().equalsIgnoreCase("off") ? null : Listening.address("--admin", admin);
        if (eventIntervalMs <= 0) {
            throw new UserError("--event-interval-ms must be at least 1, got " + eventIntervalMs);
        }
        MockTowerOptions towerOptions = MockTowerOptions.defaults()
                .withListen(towerAddress)
                .withEventInterval(Duration.ofMillis(eventIntervalMs));
        MockTower mock = Listening.bindOrExplain("the mock Tower (--tower)", towerAddress, () -> MockTower.start(towerOptions));
        RelayServer relay;
        try {
            relay = RelayServer.start(RelayConfig.defaults()
                    .withListen(relayAddress)
                    .withAdmin(adminAddress)
                    .withUpstream(URI.create("http://" + mock.hostAndPort()))
                    .withShutdownGrace(SHUTDOWN_GRACE));
        } catch (Exception e) {
            mock.close();
            throw asUserError(e);
        }
        System.out.println("Open http://" + Addresses.format(relay.listenAddress())
                + "/ to watch live job events through tower-relay");
        System.out.flush();
        // Stop the mock first: it closes every WebSocket with 1001, so the relay has no tunnels left to wait for.
        Listening.runUntilSignal(relay, mock);
        return 0;
    }

    private static RuntimeException asUserError(Exception e) {
        if (e instanceof UserError userError) {
            return userError;
        }
        if (e instanceof java.io.IOException) {
            return new UserError("cannot start the relay: " + e.getMessage(), e);
        }
        return e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
    }
}

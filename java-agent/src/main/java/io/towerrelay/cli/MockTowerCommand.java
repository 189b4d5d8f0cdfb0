package io.towerrelay.cli;

import io.towerrelay.common.UserError;
import io.towerrelay.mock.MockTower;
import io.towerrelay.mock.MockTowerOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mock-tower}: a stand-in for AWX's web tier, to try proxies against. */
@Command(
        name = "mock-tower",
        mixinStandardHelpOptions = true,
        description = "Run a mock Ansible Tower / AWX web tier on one port: the live job output page at /, "
                + "/api/v2/ping/, /api/v2/mock/echo/, /api/v2/settings/system/ (basic auth) and the live-events "
                + "WebSocket at /websocket/ and /api/websocket/. Runs until Ctrl-C or SIGTERM, then exits 0.")
public final class MockTowerCommand implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8052",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--event-interval-ms", paramLabel = "N", defaultValue = "500",
            description = "Milliseconds between job events on each subscribed socket (default: ${DEFAULT-VALUE}).")
    long eventIntervalMs;

    @Option(names = "--ping-interval-s", paramLabel = "N", defaultValue = "20",
            description = "Send a WebSocket ping after N seconds of silence, like Daphne; 0 = never (default: ${DEFAULT-VALUE}).")
    long pingIntervalS;

    @Option(names = "--admin-user", paramLabel = "USER", defaultValue = MockTowerOptions.DEFAULT_ADMIN_USER,
            description = "Basic-auth user for /api/v2/settings/system/ (default: ${DEFAULT-VALUE}).")
    String adminUser;

    @Option(names = "--admin-password", paramLabel = "PASSWORD", defaultValue = MockTowerOptions.DEFAULT_ADMIN_PASSWORD,
            description = "Basic-auth password for /api/v2/settings/system/ (default: ${DEFAULT-VALUE}).")
    String adminPassword;

    @Option(names = "--node-name", paramLabel = "NAME", defaultValue = MockTowerOptions.DEFAULT_NODE_NAME,
            description = "This node's name, shown as active_node in /api/v2/ping/ (as AWX does) and in the echo, "
                + "to see which node of a cluster answered (default: ${DEFAULT-VALUE}).")
    String nodeName;

    @Override
    public Integer call() throws InterruptedException {
        InetSocketAddress address = Listening.address("--listen", listen);
        MockTowerOptions options = options(address);
        MockTower tower = Listening.bindOrExplain("mock-tower", address, () -> MockTower.start(options));
        System.out.println("mock-tower listening on http://" + tower.hostAndPort() + "/ (settings API user: "
                + options.adminUser() + (nodeName.equals(MockTowerOptions.DEFAULT_NODE_NAME) ? "" : ", node " + nodeName) + ")");
        System.out.flush();
        Listening.runUntilSignal(tower);
        return 0;
    }

    /** The options these flags describe, listening on {@code address}. */
    private MockTowerOptions options(InetSocketAddress address) {
        if (eventIntervalMs <= 0) {
            throw new UserError("--event-interval-ms must be at least 1, got " + eventIntervalMs);
        }
        if (pingIntervalS < 0) {
            throw new UserError("--ping-interval-s must be 0 (off) or more, got " + pingIntervalS);
        }
        if (adminUser.isEmpty() || adminUser.contains(":")) {
            throw new UserError("--admin-user must be non-empty and contain no ':'");
        }
        if (nodeName.isBlank()) {
            throw new UserError("--node-name must not be empty");
        }
        return MockTowerOptions.defaults()
                .withNodeName(nodeName)
                .withListen(address)
                .withEventInterval(Duration.ofMillis(eventIntervalMs))
                .withPingInterval(Duration.ofSeconds(pingIntervalS))
                .withAdminCredentials(adminUser, adminPassword);
    }
}

package io.towerrelay.mock;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link MockTower} runs.
 *
 * @param listen        address to bind; port 0 picks a free port (see {@link MockTower#address()})
 * @param eventInterval time between two job events sent to each subscribed job (must be positive)
 * @param pingInterval  silence on a WebSocket after which the mock sends a ping frame, as Daphne does
 *                      (its default is 20 s); {@link Duration#ZERO} turns pings off
 * @param adminUser     user name accepted by basic auth on {@code /api/v2/settings/system/}
 * @param adminPassword password accepted by basic auth on {@code /api/v2/settings/system/}
 * @param nodeName      this node's name, as AWX reports it in {@code active_node} of {@code /api/v2/ping/} (and the
 *                      mock in its echo), so tests and users see which node of a cluster answered
 */
public record MockTowerOptions(
        InetSocketAddress listen,
        Duration eventInterval,
        Duration pingInterval,
        String adminUser,
        String adminPassword,
        String nodeName) {

    public static final int DEFAULT_PORT = 8052;
    public static final Duration DEFAULT_EVENT_INTERVAL = Duration.ofMillis(500);
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(20);
    public static final String DEFAULT_ADMIN_USER = "admin";
    public static final String DEFAULT_ADMIN_PASSWORD = "password";
    public static final String DEFAULT_NODE_NAME = "mock-tower";

    public MockTowerOptions {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(eventInterval, "eventInterval");
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(adminUser, "adminUser");
        Objects.requireNonNull(adminPassword, "adminPassword");
        if (eventInterval.isNegative() || eventInterval.isZero()) {
            throw new IllegalArgumentException("event interval must be positive, got " + eventInterval);
        }
        if (pingInterval.isNegative()) {
            throw new IllegalArgumentException("ping interval must be zero (off) or positive, got " + pingInterval);
        }
        if (adminUser.isEmpty() || adminUser.contains(":")) {
            throw new IllegalArgumentException("admin user must be non-empty and contain no ':'");
        }
        Objects.requireNonNull(nodeName, "nodeName");
        if (nodeName.isBlank()) {
            throw new IllegalArgumentException("node name must not be empty");
        }
    }

    /** 127.0.0.1:8052, an event every 500 ms, a ping after 20 s of silence, basic auth admin / password. */
    public static MockTowerOptions defaults() {
        return new MockTowerOptions(
                new InetSocketAddress("127.0.0.1", DEFAULT_PORT),
                DEFAULT_EVENT_INTERVAL,
                DEFAULT_PING_INTERVAL,
                DEFAULT_ADMIN_USER,
                DEFAULT_ADMIN_PASSWORD,
                DEFAULT_NODE_NAME);
    }

    /** Defaults, but on a free loopback port: what tests want. */
    public static MockTowerOptions ephemeral() {
        return defaults().withListen(new InetSocketAddress("127.0.0.1", 0));
    }

    public MockTowerOptions withListen(InetSocketAddress newListen) {
        return new MockTowerOptions(newListen, eventInterval, pingInterval, adminUser, adminPassword, nodeName);
    }

    public MockTowerOptions withEventInterval(Duration newEventInterval) {
        return new MockTowerOptions(listen, newEventInterval, pingInterval, adminUser, adminPassword, nodeName);
    }

    public MockTowerOptions withPingInterval(Duration newPingInterval) {
        return new MockTowerOptions(listen, eventInterval, newPingInterval, adminUser, adminPassword, nodeName);
    }

    public MockTowerOptions withAdminCredentials(String user, String password) {
        return new MockTowerOptions(listen, eventInterval, pingInterval, user, password, nodeName);
    }

    public MockTowerOptions withNodeName(String name) {
        return new MockTowerOptions(listen, eventInterval, pingInterval, adminUser, adminPassword, name);
    }

    public boolean pingsEnabled() {
        return !pingInterval.isZero();
    }
}

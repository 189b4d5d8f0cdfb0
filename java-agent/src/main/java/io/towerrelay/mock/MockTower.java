package io.towerrelay.mock;

import io.towerrelay.config.Addresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

/**
 * A stand-in for AWX's web tier on one port: the job output page, a few REST endpoints and the
 * live-events WebSocket. Start it with {@link #start(MockTowerOptions)}; port 0 picks a free port.
 *
 * <pre>{@code
 * try (MockTower tower = MockTower.start(MockTowerOptions.ephemeral())) {
 *     URI page = URI.create("http://" + tower.hostAndPort() + "/");
 * }
 * }</pre>
 */
public final class MockTower implements AutoCloseable {

    /** How many received requests {@link #receivedRequests()} keeps. */
    public static final int REQUEST_LOG_SIZE = 1000;

    private final MockServerLoop loop;
    private final Thread thread;
    private final InetSocketAddress address;
    private final MockTowerOptions options;
    private final SystemSettings settings;
    private final ArrayDeque<HttpRequest> requestLog = new ArrayDeque<>();

    private MockTower(MockTowerOptions options) throws IOException {
        this.options = options;
        this.settings = new SystemSettings();
        this.loop = new MockServerLoop(options, new Sessions(), settings, this::logRequest);
        this.address = loop.address();
        this.thread = new Thread(loop, "mock-tower-" + address.getPort());
        this.thread.setDaemon(true);
    }

    /** Binds and starts serving; throws {@link java.net.BindException} when the address is taken. */
    public static MockTower start(MockTowerOptions options) throws IOException {
        MockTower tower = new MockTower(options);
        tower.thread.start();
        return tower;
    }

    /** The address it listens on (with the real port when started on port 0). */
    public InetSocketAddress address() {
        return address;
    }

    /** {@code host:port} for URLs, with IPv6 addresses in brackets. */
    public String hostAndPort() {
        return Addresses.format(address);
    }

    public MockTowerOptions options() {
        return options;
    }

    /** The last {@value #REQUEST_LOG_SIZE} requests received (HTTP and WebSocket handshakes), oldest first. */
    public List<HttpRequest> receivedRequests() {
        synchronized (requestLog) {
            return new ArrayList<>(requestLog);
        }
    }

    /**
     * WebSockets open right now. Tests use it to see that a proxy closed the upstream side when the
     * browser went away (and that nothing leaks).
     */
    public int openWebSockets() {
        return loop.openWebSockets();
    }

    /** The current {@code REMOTE_HOST_HEADERS}, {@code PROXY_IP_ALLOWED_LIST} and {@code CSRF_TRUSTED_ORIGINS}. */
    public Map<String, List<String>> systemSettings() {
        return settings.snapshot();
    }

    private void logRequest(HttpRequest request) {
        synchronized (requestLog) {
            if (requestLog.size() == REQUEST_LOG_SIZE) {
                requestLog.removeFirst();
            }
            requestLog.addLast(request);
        }
    }

    /** Closes WebSockets with 1001, stops listening and waits for the I/O thread to end. */
    @Override
    public void close() {
        loop.stop();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.towerrelay.upstream;

import io.towerrelay.config.UpstreamConfig;
import io.towerrelay.config.UpstreamNode;
import java.net.URI;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.apache.hc.core5.http.HttpHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Tower web node: where it is, whether it is up (active checks with fall/rise, and passive marks from real
 * traffic), whether it is draining, and what goes to it right now. Thread-safe: the I/O threads count traffic,
 * the health checker and failing exchanges change the state. Every state change is logged, one line.
 */
public final class Node {
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    /** The last active check: when it ran, whether it passed, and what it saw (status, or why it failed). */
    public record Check(Instant at, boolean passed, String detail, long millis) {}

    private final URI url;
    private final HttpHost host;
    private final String name;
    /** Changed by a reload; read without the lock on the I/O threads. */
    private volatile boolean drain;
    private volatile int fall;
    private volatile int rise;

    /** Written under the lock, read without it on the I/O threads. */
    private volatile boolean up = true;
    /** Set for a lone node, which has no active checks: an answer to real traffic brings it back up. */
    private volatile boolean upOnAnswer;
    private String reason = "not checked yet";
    private Instant since = Instant.now();
    private int failuresInARow;
    private int passesInARow;
    private Check lastCheck;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger tunnels = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder handshakes = new LongAdder();

    public Node(UpstreamNode config, int fall, int rise) {
        this.url = config.url();
        this.name = UpstreamConfig.authority(url);
        this.host = new HttpHost(url.getScheme().toLowerCase(java.util.Locale.ROOT), url.getHost(),
                url.getPort() >= 0 ? url.getPort() : (secureScheme(url) ? 443 : 80));
        this.drain = config.drain();
        this.fall = fall;
        this.rise = rise;
    }

    private static boolean secureScheme(URI url) {
        return "https".equalsIgnoreCase(url.getScheme()) || "wss".equalsIgnoreCase(url.getScheme());
    }

    public URI url() {
        return url;
    }

    public HttpHost host() {
        return host;
    }

    /** host:port, as in logs, metrics and /healthz. */
    public String name() {
        return name;
    }

    public boolean secure() {
        return secureScheme(url);
    }

    public boolean draining() {
        return drain;
    }

    public boolean up() {
        return up;
    }

    /** For a lone node, which is not checked in the background: an answer from it marks it up again. */
    void upOnAnswer(boolean on) {
        upOnAnswer = on;
    }

    /** A reload: draining or not from now on, and the health-check thresholds; counters and state stay. */
    void reconfigure(boolean draining, int newFall, int newRise) {
        String old;
        synchronized (this) {
            if (drain == draining) {
                fall = newFall;
                rise = newRise;
                return;
            }
            old = state();
            drain = draining;
            fall = newFall;
            rise = newRise;
        }
        logChange(old, draining ? "set to drain by a reload" : "no longer draining after a reload");
    }

    /** Takes new requests and tunnels: up and not draining. */
    public boolean available() {
        return !drain && up();
    }

    public synchronized String reason() {
        return reason;
    }

    public synchronized Instant since() {
        return since;
    }

    public synchronized Check lastCheck() {
        return lastCheck;
    }

    // ---- traffic ----

    /** An HTTP request (or a retry of one) goes to this node; {@link #requestEnded()} follows exactly once. */
    public void requestStarted() {
        inFlight.incrementAndGet();
        requests.increment();
    }

    public void requestEnded() {
        inFlight.decrementAndGet();
    }

    /** A WebSocket handshake goes to this node; {@link #tunnelEnded()} follows exactly once (refused or closed). */
    public void tunnelStarted() {
        tunnels.incrementAndGet();
        handshakes.increment();
    }

    public void tunnelEnded() {
        tunnels.decrementAndGet();
    }

    /** The node answered a request (its response head arrived). */
    public void answered() {
        if (!up && upOnAnswer) {
            reachable();
        }
    }

    /** A request failed on this node (connect, reset, timeout) before its answer. */
    public void requestFailed() {
        errors.increment();
    }

    /** A request that failed on this node was sent again. */
    public void retried() {
        retries.increment();
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int openTunnels() {
        return tunnels.get();
    }

    public long requests() {
        return requests.sum();
    }

    public long errors() {
        return errors.sum();
    }

    public long retries() {
        return retries.sum();
    }

    /** WebSocket handshakes sent to this node (tries on another node after a failed connect included). */
    public long handshakes() {
        return handshakes.sum();
    }

    // ---- health ----

    /** Passive: real traffic could not reach the node (refused, timed out connecting): down at once. */
    public void unreachable(String why) {
        String old;
        synchronized (this) {
            passesInARow = 0;
            if (!up) {
                return;
            }
            old = state();
            up = false;
            reason = why;
            since = Instant.now();
        }
        logChange(old, why);
    }

    /** A single node, checked when /healthz asks: a connection to it worked, so it is up at once. */
    public void reachable() {
        String old;
        synchronized (this) {
            failuresInARow = 0;
            if (up) {
                return;
            }
            old = state();
            up = true;
            reason = "accepts connections again";
            since = Instant.now();
        }
        logChange(old, "accepts connections again");
    }

    /** Active: a health check passed; up after {@code rise} in a row. */
    public void checkPassed(String detail, long millis) {
        String old = null;
        String why = null;
        synchronized (this) {
            lastCheck = new Check(Instant.now(), true, detail, millis);
            failuresInARow = 0;
            passesInARow++;
            if (up) {
                reason = "health check passed";
            } else if (passesInARow >= rise) {
                old = state();
                up = true;
                why = passesInARow + " health check(s) passed in a row (" + detail + ")";
                reason = why;
                since = Instant.now();
            }
        }
        if (old != null) {
            logChange(old, why);
        }
    }

    /** Active: a health check failed; down after {@code fall} in a row. */
    public void checkFailed(String detail, long millis) {
        String old = null;
        String why = null;
        synchronized (this) {
            lastCheck = new Check(Instant.now(), false, detail, millis);
            passesInARow = 0;
            failuresInARow++;
            if (up && failuresInARow >= fall) {
                old = state();
                up = false;
                why = failuresInARow + " health check(s) failed in a row: " + detail;
                reason = why;
                since = Instant.now();
            } else if (!up) {
                reason = "health check failed: " + detail;
            }
        }
        if (old != null) {
            logChange(old, why);
        }
    }

    /** up, down, draining (up but taking nothing new) or draining-down. */
    public synchronized String state() {
        return drain ? (up ? "draining" : "down (draining)") : (up ? "up" : "down");
    }

    private void logChange(String old, String why) {
        String now = state();
        if (now.startsWith("down")) {
            LOG.warn("upstream node {} {} -> {}: {}", name, old, now, why);
        } else {
            LOG.info("upstream node {} {} -> {}: {}", name, old, now, why);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}

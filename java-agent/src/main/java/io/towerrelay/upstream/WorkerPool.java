package io.towerrelay.upstream;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.io.CloseMode;

/**
 * The keep-alive connections of one I/O thread, per upstream node ({@link HttpHost}). Every method but
 * {@link #giveUpIdle} runs on that thread, and nothing here is locked. Other threads touch only the counters read
 * by /metrics, {@link #starved} (the waiters that found the relay-wide pool-size used up), and the idle deques
 * through {@link #giveUpIdle}, when they starve while this thread holds idle connections.
 *
 * <p>A lease takes the most recently used idle connection of the node (LIFO: the others time out and close), or
 * waits and opens one. Whoever frees a connection serves the oldest waiter first: a release hands it over, a new
 * connection goes to the waiter that asked for it or, if that one was served meanwhile, to the oldest.
 */
final class WorkerPool {
    private final UpstreamClient client;
    private final int index;
    /** Concurrent only so that a starved worker can take an idle connection here to close it (see giveUpIdle). */
    private final Map<HttpHost, NodeConnections> nodes = new ConcurrentHashMap<>();
    /**
     * The node asked for last, compared by identity (each node keeps its one {@link HttpHost}): most leases and
     * releases of a thread are for the node before, and an {@code HttpHost}'s hash and equals are computed anew
     * on every map lookup (4 % of the I/O threads' samples for small answers, JFR).
     */
    private NodeConnections lastNode;
    /**
     * Waiters that could not open a connection because pool-size was reached, oldest first, until one is served
     * or a freed slot (on any thread) takes it to open a connection for it. Exact, so that a release keeps its
     * connection idle unless another thread really waits.
     */
    final ConcurrentLinkedQueue<Waiter> starved = new ConcurrentLinkedQueue<>();
    /**
     * Waiters that found no slot, oldest first (connecting ones are skipped when polled). Answered ones leave from
     * the head as they are answered ({@link #finished}): kept until the next freed slot polled them, every request
     * that ever waited stayed here with its exchange while connections were only reused, never closed.
     */
    private final ArrayDeque<Waiter> unconnected = new ArrayDeque<>();
    /** Set while this thread hands connections to waiters: a release from inside a callback is queued, not nested. */
    private boolean handing;
    private final ArrayDeque<Connection> handOvers = new ArrayDeque<>();

    volatile int leased;
    volatile int pending;
    final AtomicInteger available = new AtomicInteger();

    WorkerPool(UpstreamClient client, int index) {
        this.client = client;
        this.index = index;
    }

    int index() {
        return index;
    }

    /** One node's connections on this thread: the idle ones, most recently used first, and the waiters, oldest first. */
    private static final class NodeConnections {
        final HttpHost host;
        final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

        NodeConnections(HttpHost host) {
            this.host = host;
        }
    }

    private NodeConnections node(HttpHost host) {
        NodeConnections n = lastNode;
        if (n == null || n.host != host) {
            n = nodes.computeIfAbsent(host, NodeConnections::new);
            lastNode = n;
        }
        return n;
    }

    /** A waiting lease request. */
    static final class Waiter {
        final HttpHost host;
        final FutureCallback<AsyncClientEndpoint> callback;
        final long deadlineNanos;
        boolean done;
        /** Waited for a slot: listed in {@link #starved} until served or given a connection attempt. */
        boolean starved;
        /** A connection is being opened for it (it may still be served sooner by a release). */
        volatile boolean connecting;

        Waiter(HttpHost host, FutureCallback<AsyncClientEndpoint> callback, long deadlineNanos) {
            this.host = host;
            this.callback = callback;
            this.deadlineNanos = deadlineNanos;
        }
    }

    void lease(HttpHost host, FutureCallback<AsyncClientEndpoint> callback) {
        NodeConnections node = node(host);
        expireWaiters(node);
        Connection connection = takeIdle(node);
        if (connection != null) {
            leased++;
            callback.completed(new Lease(connection));
            return;
        }
        Waiter waiter = new Waiter(host, callback, System.nanoTime() + client.connectTimeout().toNanoseconds());
        node.waiters.add(waiter);
        pending++;
        if (client.reserveSlot()) {
            waiter.connecting = true;
            client.open(this, host, waiter);
            return;
        }
        // No slot: the next one freed here (a connection of this thread ending) goes to the oldest such waiter.
        unconnected.add(waiter);
        if (pending > leased) {
            // More requests wait here than this thread has connections that will come free: take a slot from
            // another thread. (With fewer, a release here serves them soon; taking slots from other threads at
            // every small imbalance would close and open connections all the time at pool-size.)
            waiter.starved = true;
            starved.add(waiter);
            if (!closeIdleOfOtherNodes(host)) {
                client.stealIdle(this);
            }
        }
    }

    /**
     * A slot came free on this thread (one of its connections ended): the oldest waiter that found none gets it,
     * whether or not it also asked other threads for one.
     */
    Waiter takeUnconnected() {
        for (Waiter w = unconnected.poll(); w != null; w = unconnected.poll()) {
            if (!w.done && !w.connecting) {
                if (w.starved) {
                    starved.remove(w);
                }
                return w;
            }
        }
        return null;
    }

    /** A waiter {@link #takeUnconnected} gave out that got no slot after all: first in line again. */
    void putBackUnconnected(Waiter waiter) {
        unconnected.addFirst(waiter);
    }

    /** A connection this pool opened is ready (TLS done). */
    void connected(Connection connection, Waiter boundTo) {
        if (boundTo != null && !boundTo.done) {
            serve(boundTo, connection);
            return;
        }
        handOver(connection);
    }

    /** Opening a connection failed: the waiter it was opened for (or the oldest one left waiting) gets the error. */
    void connectFailed(HttpHost host, Waiter boundTo, Exception cause) {
        NodeConnections node = node(host);
        Waiter failed = boundTo != null && !boundTo.done ? boundTo : node.waiters.peekFirst();
        if (failed != null) {
            finished(failed);
            node.waiters.remove(failed);
            failed.callback.failed(cause);
        }
    }

    /** An exchange is done with its connection. */
    void release(Connection connection, boolean reusable) {
        leased--;
        if (!reusable || !connection.isOpen() || client.closing()) {
            connection.close(reusable ? CloseMode.GRACEFUL : CloseMode.IMMEDIATE);
            return;
        }
        handOver(connection);
    }

    /** An open connection's session ended (upstream closed it, timeout, or we did). */
    void disconnected(Connection connection) {
        if (node(connection.host()).idle.remove(connection)) {
            available.decrementAndGet();
        }
    }

    /** Gives a free connection to the oldest waiter of its node, or keeps it idle. */
    private void handOver(Connection connection) {
        handOvers.add(connection);
        if (handing) {
            return; // a release from inside a waiter's callback: the loop below takes it next
        }
        handing = true;
        try {
            for (Connection next = handOvers.poll(); next != null; next = handOvers.poll()) {
                handOverNow(next);
            }
        } finally {
            handing = false;
        }
    }

    private void handOverNow(Connection connection) {
        NodeConnections node = node(connection.host());
        expireWaiters(node);
        Waiter waiter = node.waiters.peekFirst();
        if (waiter != null) {
            serve(waiter, connection);
            return;
        }
        if (client.othersStarved(this)) {
            // Another thread has requests waiting for a slot: free this one rather than keep it idle.
            connection.close(CloseMode.GRACEFUL);
            return;
        }
        node.idle.addFirst(connection);
        available.incrementAndGet();
    }

    /** A waiter is answered (served, failed or expired): it waits for a slot no more. */
    private void finished(Waiter waiter) {
        waiter.done = true;
        pending--;
        if (waiter.starved) {
            starved.remove(waiter);
        }
        // Waiters are mostly answered in the order they came, so the answered ones are at the head.
        while (!unconnected.isEmpty() && unconnected.peekFirst().done) {
            unconnected.pollFirst();
        }
    }

    private void serve(Waiter waiter, Connection connection) {
        finished(waiter);
        node(waiter.host).waiters.remove(waiter);
        leased++;
        waiter.callback.completed(new Lease(connection));
    }

    private Connection takeIdle(NodeConnections node) {
        for (Connection c = node.idle.pollFirst(); c != null; c = node.idle.pollFirst()) {
            available.decrementAndGet();
            if (c.isOpen()) {
                return c;
            }
            c.close(CloseMode.IMMEDIATE);
        }
        return null;
    }

    /** Frees a slot for {@code host} by closing an idle connection to another node, if this thread has one. */
    private boolean closeIdleOfOtherNodes(HttpHost host) {
        for (NodeConnections other : nodes.values()) {
            if (!other.host.equals(host)) {
                Connection c = other.idle.pollLast();
                if (c != null) {
                    available.decrementAndGet();
                    c.close(CloseMode.GRACEFUL);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Called from another worker whose requests wait for a slot: takes this pool's least recently used idle
     * connection, if any, and closes it. The close is carried out on this pool's thread, whose disconnect frees
     * the slot for the starved worker. True if one was taken.
     */
    boolean giveUpIdle() {
        for (NodeConnections node : nodes.values()) {
            Connection c = node.idle.pollLast();
            if (c != null) {
                available.decrementAndGet();
                c.closeFromAnotherThread();
                return true;
            }
        }
        return false;
    }

    /**
     * Waiters past upstream.connect-timeout fail (as HttpCore5's pool fails a lease request not served in time),
     * so a pool held by slow exchanges answers 504 instead of queueing without end. Checked on pool activity.
     */
    private void expireWaiters(NodeConnections node) {
        ArrayDeque<Waiter> queue = node.waiters;
        if (queue.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        List<Waiter> expired = null;
        while (!queue.isEmpty() && now - queue.peekFirst().deadlineNanos >= 0) {
            Waiter w = queue.pollFirst();
            finished(w);
            if (expired == null) {
                expired = new ArrayList<>();
            }
            expired.add(w);
        }
        if (expired != null) {
            // Told after the queue is settled: a callback may lease again.
            for (Waiter w : expired) {
                w.callback.failed(new TimeoutException("no upstream connection free within " + client.connectTimeout()
                        + " (all upstream.pool-size connections busy)"));
            }
        }
    }

    /** Shutdown: idle connections close now. */
    void closeIdle() {
        for (NodeConnections node : nodes.values()) {
            for (Connection c = node.idle.pollFirst(); c != null; c = node.idle.pollFirst()) {
                available.decrementAndGet();
                c.close(CloseMode.GRACEFUL);
            }
        }
    }

    /** One lease of a connection: released once, after which it refuses to execute. */
    private final class Lease extends AsyncClientEndpoint {
        private Connection connection;

        Lease(Connection connection) {
            this.connection = connection;
        }

        @Override
        public void execute(org.apache.hc.core5.http.nio.AsyncClientExchangeHandler exchangeHandler,
                org.apache.hc.core5.http.nio.HandlerFactory<org.apache.hc.core5.http.nio.AsyncPushConsumer> pushHandlerFactory,
                org.apache.hc.core5.http.protocol.HttpContext context) {
            Connection c = connection;
            if (c == null) {
                throw new IllegalStateException("Endpoint has already been released");
            }
            c.execute(exchangeHandler, pushHandlerFactory, context);
        }

        @Override
        public void releaseAndReuse() {
            Connection c = connection;
            if (c != null) {
                connection = null;
                release(c, true);
            }
        }

        @Override
        public void releaseAndDiscard() {
            Connection c = connection;
            if (c != null) {
                connection = null;
                release(c, false);
            }
        }

        @Override
        public boolean isConnected() {
            Connection c = connection;
            return c != null && c.isOpen();
        }
    }
}

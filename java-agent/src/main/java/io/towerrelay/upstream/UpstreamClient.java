package io.towerrelay.upstream;

import io.towerrelay.admin.UpstreamPoolStats;
import io.towerrelay.config.UpstreamConfig;
import io.towerrelay.reactor.SharedReactor;
import io.towerrelay.tls.TlsContexts;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.AsyncClientEndpoint;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The upstream side: keep-alive connections with the relay's HTTP/1.1 client ({@link UpstreamHttp1Handler}), opened on the shared
 * reactor's worker that serves the client asking for one, and pooled per worker and per node ({@link WorkerPool}):
 * an exchange's two connections live on one I/O thread, and leasing, releasing and forwarding take no lock.
 * {@code upstream.pool-size} bounds the connections of all workers together. The relay wants the bare exchange
 * (no redirects, cookies, auth or added headers) and decides per exchange whether a connection is reusable.
 */
public final class UpstreamClient {
    private volatile SharedReactor reactor;
    /** Changed by a reload ({@link #timeouts}) for connections opened from then on. */
    private volatile Timeout connectTimeout;
    private volatile Timeout responseTimeout;
    private final TlsStrategy tls;
    private final WorkerPool[] pools;
    private final int max;
    /** Connections open or being opened, all workers together. */
    private final AtomicInteger open = new AtomicInteger();
    /** Spreads connections opened off the I/O threads (health checks) over the workers. */
    private final AtomicInteger nextWorker = new AtomicInteger();
    private volatile boolean closing;
    private final KeepAliveDeadlines keepAlive = new KeepAliveDeadlines();

    // TLS is started when a connection is up (see onConnect), so that the handshake's failure fails the lease and
    // the session keeps response-timeout after it.
    private UpstreamClient(int ioThreads, UpstreamConfig config, TlsStrategy tls) {
        this.connectTimeout = config.connectTimeout();
        this.responseTimeout = config.responseTimeout();
        this.tls = tls;
        // pool-size connections per node, as HttpCore5's pool had per route; the total is what is enforced.
        this.max = config.poolSize() * Math.max(1, config.nodes().size());
        this.pools = new WorkerPool[ioThreads];
        for (int i = 0; i < pools.length; i++) {
            pools[i] = new WorkerPool(this, i);
        }
    }

    /**
     * @param ioThreads the I/O threads of the reactor given to {@link #use} (one pool each)
     */
    public static UpstreamClient create(UpstreamConfig config, SSLContext sslContext, int ioThreads) {
        TlsStrategy tls = sslContext == null ? null : TlsContexts.clientStrategy(sslContext, config.tlsVerify());
        return new UpstreamClient(ioThreads, config, tls);
    }

    /** Opens connections on {@code reactor}, the one serving the clients; before the first request. */
    public void use(SharedReactor sharedReactor) {
        if (sharedReactor.workerCount() != pools.length) {
            throw new IllegalArgumentException("the reactor has " + sharedReactor.workerCount() + " I/O threads, not "
                    + pools.length);
        }
        this.reactor = sharedReactor;
    }

    /**
     * A reload: upstream.connect-timeout for connections opened from now on, response-timeout for requests sent from
     * now on (on pooled connections too).
     */
    public void timeouts(Timeout connect, Timeout response) {
        this.connectTimeout = connect;
        this.responseTimeout = response;
    }

    public UpstreamPoolStats poolStats() {
        int leased = 0;
        int pending = 0;
        int available = 0;
        for (WorkerPool pool : pools) {
            leased += pool.leased;
            pending += pool.pending;
            available += pool.available.get();
        }
        return new UpstreamPoolStats(leased, pending, available, max);
    }

    /**
     * Leases a pooled connection to {@code node} or opens one, on the calling I/O thread; the callback runs on it
     * too (at once when an idle connection is there). Called off the I/O threads, opens an unpooled connection.
     */
    public void connect(Node node, FutureCallback<AsyncClientEndpoint> callback) {
        int worker = SharedReactor.currentWorker();
        if (worker < 0) {
            // Off the I/O threads (the admin listener's reachability probe): a connection of its own, closed after.
            connectFresh(node, callback);
            return;
        }
        pools[worker].lease(node.host(), callback);
    }

    /**
     * Opens a connection outside the pool for one exchange, closed when released (a retry must not lease another
     * pooled connection the upstream may be closing at that moment; a health check wants a new connection). Not
     * counted against pool-size. On an I/O thread it opens there; from another thread (health checks) on the
     * workers in turn, and the callback runs on that worker.
     */
    public void connectFresh(Node node, FutureCallback<AsyncClientEndpoint> callback) {
        connectFresh(node, responseTimeout, callback);
    }

    /** As {@link #connectFresh(Node, FutureCallback)}, waiting at most {@code socketTimeout} between reads. */
    public void connectFresh(Node node, Timeout socketTimeout, FutureCallback<AsyncClientEndpoint> callback) {
        HttpHost host = node.host();
        boolean secure = secure(host);
        UpstreamHttp1Handler[] made = new UpstreamHttp1Handler[1];
        SharedReactor.OutgoingSession plain = new SharedReactor.OutgoingSession() {
            @Override
            public IOEventHandler createHandler(ProtocolIOSession session) {
                made[0] = new UpstreamHttp1Handler(session, null);
                return made[0];
            }

            @Override
            public boolean plainHttp1() {
                return !secure;
            }
        };
        FutureCallback<IOSession> connected = onConnect(host, socketTimeout,
                session -> callback.completed(new FreshEndpoint(session, made[0])), callback::failed);
        try {
            int worker = SharedReactor.currentWorker();
            if (worker >= 0) {
                reactor.connect(host, null, connectTimeout, plain, connected);
            } else {
                reactor.connectOn((nextWorker.getAndIncrement() & Integer.MAX_VALUE) % pools.length, host, null,
                        connectTimeout, plain, connected);
            }
        } catch (RuntimeException e) {
            callback.failed(e);
        }
    }

    /** The upstream's Keep-Alive timeouts, per pooled connection. */
    public KeepAliveDeadlines keepAlive() {
        return keepAlive;
    }

    private boolean secure(HttpHost node) {
        return tls != null && "https".equalsIgnoreCase(node.getSchemeName());
    }

    private static int worker() {
        int worker = SharedReactor.currentWorker();
        if (worker < 0) {
            throw new IllegalStateException("upstream connections are leased on the reactor's I/O threads only");
        }
        return worker;
    }

    /** Gives back a connection leased for an exchange whose client left before it was used. */
    public void returnUnused(AsyncClientEndpoint endpoint) {
        endpoint.releaseAndReuse();
    }

    /** Stops pooling: released connections are closed; the reactor's shutdown closes the others. */
    public void close(TimeValue grace) {
        closing = true;
    }

    // ---- for WorkerPool and Connection ----

    Timeout connectTimeout() {
        return connectTimeout;
    }

    Timeout responseTimeout() {
        return responseTimeout;
    }

    boolean closing() {
        return closing;
    }

    boolean reserveSlot() {
        if (open.incrementAndGet() <= max) {
            return true;
        }
        open.decrementAndGet();
        return false;
    }

    /** A connection ended (or never came up): its slot goes to a worker with requests waiting for one. */
    void slotFreed() {
        slotFreed(null);
    }

    /**
     * A connection ended (or never came up): its slot goes to a waiter of {@code local} (the calling thread's pool,
     * or null) that found none, else to a worker with requests waiting for one.
     */
    void slotFreed(WorkerPool local) {
        open.decrementAndGet();
        if (closing) {
            return;
        }
        if (local != null && SharedReactor.currentWorker() == local.index()) {
            WorkerPool.Waiter waiter = local.takeUnconnected();
            if (waiter != null) {
                if (reserveSlot()) {
                    waiter.connecting = true;
                    open(local, waiter.host, waiter);
                    return;
                }
                local.putBackUnconnected(waiter);
                return;
            }
        }
        for (WorkerPool pool : pools) {
            if (pool.starved.isEmpty()) {
                continue;
            }
            if (!reserveSlot()) {
                return;
            }
            WorkerPool.Waiter waiter = pool.starved.poll();
            if (waiter == null) {
                open.decrementAndGet();
                continue;
            }
            waiter.connecting = true;
            if (SharedReactor.currentWorker() == pool.index()) {
                open(pool, waiter.host, waiter);
            } else {
                // The one hand-over between threads: only when pool-size is used up and another thread waits.
                openOn(pool, waiter);
            }
            return;
        }
    }

    /** {@code starving} waits for a slot: another worker closes one of its idle connections, if it has any. */
    void stealIdle(WorkerPool starving) {
        for (WorkerPool pool : pools) {
            if (pool != starving && pool.giveUpIdle()) {
                return;
            }
        }
    }

    boolean othersStarved(WorkerPool self) {
        for (WorkerPool pool : pools) {
            if (pool != self && !pool.starved.isEmpty()) {
                return true;
            }
        }
        return false;
    }

    /** Opens a connection for {@code pool} on the calling thread, which is the pool's own. A slot is reserved. */
    void open(WorkerPool pool, HttpHost host, WorkerPool.Waiter openedFor) {
        Connection connection = new Connection(host, pool, this, openedFor, !secure(host));
        try {
            reactor.connect(host, null, connectTimeout, connection, pooledCallback(host, connection));
        } catch (RuntimeException e) {
            slotFreed();
            pool.connectFailed(host, openedFor, e);
        }
    }

    private void openOn(WorkerPool pool, WorkerPool.Waiter waiter) {
        HttpHost host = waiter.host;
        Connection connection = new Connection(host, pool, this, waiter, !secure(host));
        try {
            reactor.connectOn(pool.index(), host, null, connectTimeout, connection, pooledCallback(host, connection));
        } catch (RuntimeException e) {
            open.decrementAndGet();
        }
    }

    /** As {@link #callback}, and a connection that never came up gives its pool slot back. */
    private FutureCallback<IOSession> pooledCallback(HttpHost host, Connection connection) {
        FutureCallback<IOSession> callback = callback(host, connection);
        return new FutureCallback<>() {
            @Override
            public void completed(IOSession session) {
                callback.completed(session);
            }

            @Override
            public void failed(Exception ex) {
                slotFreed();
                callback.failed(ex);
            }

            @Override
            public void cancelled() {
                failed(new IOException("connection attempt cancelled"));
            }
        };
    }

    private FutureCallback<IOSession> callback(HttpHost host, Connection connection) {
        return onConnect(host, responseTimeout, session -> connection.ready(), connection::failed);
    }

    /**
     * What happens when a connection to {@code host} is up: response-timeout as its socket timeout, TLS for https,
     * then {@code ready}; {@code failed} when the connection or its TLS handshake fails.
     */
    private FutureCallback<IOSession> onConnect(HttpHost host, Timeout socketTimeout, Consumer<IOSession> ready,
            Consumer<Exception> failed) {
        return new FutureCallback<>() {
            @Override
            public void completed(IOSession session) {
                // Between two reads of a response: past it the exchange fails and the client gets 504. It also
                // closes pooled connections idle that long. Set before TLS, which restores it after its handshake.
                session.setSocketTimeout(socketTimeout);
                if (!secure(host)) {
                    ready.accept(session);
                    return;
                }
                tls.upgrade((TransportSecurityLayer) session, host, null, connectTimeout, new FutureCallback<>() {
                    @Override
                    public void completed(TransportSecurityLayer result) {
                        ready.accept(session);
                    }

                    @Override
                    public void failed(Exception ex) {
                        failed.accept(ex);
                    }

                    @Override
                    public void cancelled() {
                        failed.accept(new IOException("TLS handshake cancelled"));
                    }
                });
            }

            @Override
            public void failed(Exception ex) {
                failed.accept(ex);
            }

            @Override
            public void cancelled() {
                failed.accept(new IOException("connection attempt cancelled"));
            }
        };
    }
}

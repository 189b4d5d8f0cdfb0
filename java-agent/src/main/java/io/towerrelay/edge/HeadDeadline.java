package io.towerrelay.edge;

import io.towerrelay.reactor.SessionEndpoint;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * limits.header-timeout: a request head must be complete within this time, or the connection is closed. The
 * socket timeout alone does not stop slowloris (a client that trickles one header byte every few seconds keeps
 * resetting it). The clock starts when a connection is accepted (its first head), and on a kept-alive connection
 * with no exchange in progress when the first byte of the next head arrives: an idle keep-alive connection is
 * bounded by client-idle-timeout only, as before, but once a client starts a request it has to finish its head.
 *
 * <p>A deadline is a time kept on the connection, not a timer task: one thread sweeps the open connections a few
 * times per header-timeout ({@link #sweepInterval}) and closes those whose head is late. Arming and meeting a
 * deadline is then a field write on the connection's own I/O thread. A task per connection was a queue insertion
 * and a removal per new connection under a lock both I/O threads took (3 % of their CPU samples with a new
 * connection per request; JFR), and the queue held every cancelled task's session until removed.
 */
public final class HeadDeadline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeadDeadline.class);
    /** Sweeps per header-timeout: a late head is cut within a tenth of the timeout after its deadline. */
    private static final int SWEEPS_PER_TIMEOUT = 10;
    private static final long MIN_SWEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long MAX_SWEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** limits.header-timeout; a reload changes it for deadlines armed from then on. */
    private volatile Timeout timeout;
    private final ScheduledThreadPoolExecutor sweeper = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "header-timeout");
        t.setDaemon(true);
        return t;
    });
    /**
     * HTTP/2 connections by local and remote address (all an HTTP/2 stream's handler can see of its connection). An
     * HTTP/1.1 exchange's context carries its connection's {@link SessionEndpoint}, which names the session: its
     * connection is not keyed by two addresses formatted as text.
     */
    private final Map<String, Connection> byAddress = new ConcurrentHashMap<>();
    /** Sessions that chose HTTP/2 before their connected event (see http2Started). */
    private final java.util.Set<String> http2Sessions = ConcurrentHashMap.newKeySet();
    /** The same by session id: session events come with the session, and at disconnect the addresses are gone. */
    private final Map<String, Connection> byId = new ConcurrentHashMap<>();
    /**
     * The same by the exchange handlers' EndpointDetails (one object per connection, compared by identity), so
     * that a request finds its connection without formatting two socket addresses into a key (6 % of the I/O
     * threads' CPU samples under keep-alive load, JFR).
     */
    private final Map<EndpointDetails, Connection> byEndpoint = new ConcurrentHashMap<>();

    /**
     * One client connection: how many exchanges are between head and end, and the deadline of the head being
     * awaited, if any. Its own I/O thread arms and meets the deadline; the sweeper reads it.
     */
    private final class Connection {
        final IOSession session;
        /** The addresses as text, for an HTTP/2 connection (see byAddress); null for HTTP/1.1. */
        String key;
        /** HTTP/2: input is frames, not heads (see http2Started). Set on the connection's I/O thread. */
        volatile boolean multiplexed;
        /** Heads received minus exchanges ended; pipelined requests can make it 2 or more for a moment. */
        int inFlight;
        /** System.nanoTime() by which the awaited head must be complete; 0 when none is awaited. */
        volatile long deadline;
        boolean firstHead;
        /** The exchange handlers' view of this connection, once one asked (see connection(HttpContext)). */
        EndpointDetails endpoint;

        Connection(IOSession session) {
            this.session = session;
        }

        synchronized void arm(boolean first) {
            if (deadline != 0 || inFlight > 0) {
                return;
            }
            long at = System.nanoTime() + timeout.toNanoseconds();
            firstHead = first;
            deadline = at == 0 ? 1 : at;
        }

        /** The sweeper's check: closes the connection when its head is late. */
        void check(long now) {
            long due = deadline;
            if (due == 0 || now - due < 0) {
                return; // nothing awaited, or still in time: no lock taken
            }
            boolean first;
            synchronized (this) {
                if (deadline == 0 || inFlight > 0) {
                    return; // the head came in the meantime
                }
                deadline = 0;
                first = firstHead;
            }
            LOG.info("closing connection from {}: no complete {} request head within limits.header-timeout ({})",
                    session.getRemoteAddress(), first ? "first" : "next", timeout);
            session.close(CloseMode.IMMEDIATE);
        }

        synchronized void headReceived() {
            inFlight++;
            deadline = 0;
        }

        synchronized void exchangeEnded() {
            inFlight = Math.max(0, inFlight - 1);
        }

        /** Bytes arrived: with no exchange in progress they start the next head, and its clock. */
        void inputReady() {
            arm(false);
        }
    }

    public HeadDeadline(Timeout timeout) {
        this.timeout = timeout;
        sweeper.schedule(this::sweep, sweepInterval(timeout), TimeUnit.NANOSECONDS);
    }

    /** A tenth of the timeout, within 20 ms and 1 s: a 30 s deadline is met or cut within 31 s. */
    private static long sweepInterval(Timeout timeout) {
        return Math.max(MIN_SWEEP_NANOS, Math.min(MAX_SWEEP_NANOS, timeout.toNanoseconds() / SWEEPS_PER_TIMEOUT));
    }

    /** Closes the connections whose head is late, then comes back after the interval of the timeout now set. */
    private void sweep() {
        try {
            long now = System.nanoTime();
            for (Connection c : byId.values()) {
                c.check(now);
            }
        } catch (RuntimeException e) {
            LOG.warn("header-timeout sweep failed; next sweep as planned", e);
        } finally {
            if (!sweeper.isShutdown()) {
                sweeper.schedule(this::sweep, sweepInterval(timeout), TimeUnit.NANOSECONDS);
            }
        }
    }

    /** A reload: limits.header-timeout for deadlines armed from now on. */
    public void timeout(Timeout next) {
        this.timeout = next;
    }

    void connected(IOSession session) {
        Connection c = new Connection(session);
        byId.put(session.getId(), c);
        if (http2Sessions.remove(session.getId())) {
            multiplexed(c);
        }
        c.arm(true);
    }

    /**
     * Input on an HTTP/1.1 connection with no exchange in progress (its handler says so on each such read event).
     * Before its first request the connection's first head is already on the clock; after it, the connection's
     * state is attached to its endpoint.
     */
    public void idleInput(SessionEndpoint endpoint) {
        if (endpoint.attachment() instanceof Connection c && !c.multiplexed) {
            c.inputReady();
        }
    }

    /**
     * The connection now speaks HTTP/2. Its frames often start no request (PING, SETTINGS, WINDOW_UPDATE after a
     * download): from now on input does not start a next head's clock, or an idle HTTP/2 connection would be cut
     * after header-timeout. Its first head is still bounded from the accept; later streams by
     * client-idle-timeout and the HTTP/2 limits.
     */
    public void http2Started(IOSession session) {
        Connection c = byId.get(session.getId());
        if (c != null) {
            multiplexed(c);
        } else {
            // On a TLS listener the protocol is chosen when the handshake ends, before the session's
            // connected event reaches the listeners: remembered until connected().
            http2Sessions.add(session.getId());
        }
    }

    private void multiplexed(Connection c) {
        c.multiplexed = true;
        c.key = key(c.session.getLocalAddress(), c.session.getRemoteAddress());
        byAddress.put(c.key, c);
        if (byId.get(c.session.getId()) != c) {
            byAddress.remove(c.key, c); // disconnected meanwhile
        }
    }

    /** A request head arrived on the connection of {@code context}: its deadline is met. */
    public void headReceived(HttpContext context) {
        Connection c = connection(context);
        if (c != null) {
            c.headReceived();
        }
    }

    /** The exchange whose head arrived on the connection of {@code context} is over (once per headReceived). */
    public void exchangeEnded(HttpContext context) {
        Connection c = connection(context);
        if (c != null) {
            c.exchangeEnded();
        }
    }

    void disconnected(IOSession session) {
        http2Sessions.remove(session.getId());
        Connection c = byId.remove(session.getId());
        if (c != null) {
            if (c.key != null) {
                byAddress.remove(c.key, c);
            }
            EndpointDetails endpoint = c.endpoint;
            if (endpoint != null) {
                byEndpoint.remove(endpoint, c);
                if (endpoint instanceof SessionEndpoint own && own.attachment() == c) {
                    own.attach(null);
                }
            }
            c.deadline = 0;
        }
    }

    private Connection connection(HttpContext context) {
        EndpointDetails endpoint = HttpCoreContext.cast(context).getEndpointDetails();
        if (endpoint == null) {
            return null;
        }
        if (endpoint instanceof SessionEndpoint own) {
            // An HTTP/1.1 connection's: found by its session id once, then attached (no map lookup per request).
            if (own.attachment() instanceof Connection attached) {
                return attached;
            }
            Connection c = byId.get(own.sessionId());
            if (c != null) {
                c.endpoint = own; // detached at disconnect
                own.attach(c);
            }
            return c;
        }
        Connection c = byEndpoint.get(endpoint);
        if (c != null) {
            return c;
        }
        c = byAddress.get(key(endpoint.getLocalAddress(), endpoint.getRemoteAddress()));
        if (c != null && c.endpoint == null && byId.get(c.session.getId()) == c) {
            c.endpoint = endpoint;
            byEndpoint.put(endpoint, c);
            if (byId.get(c.session.getId()) != c) {
                byEndpoint.remove(endpoint, c); // disconnected meanwhile
            }
        }
        return c;
    }

    private static String key(SocketAddress local, SocketAddress remote) {
        return local + "|" + remote;
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}

package io.towerrelay.edge;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
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
 */
public final class HeadDeadline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeadDeadline.class);

    /** limits.header-timeout; a reload changes it for deadlines armed from then on. */
    private volatile Timeout timeout;
    /**
     * Remove-on-cancel: a cancelled deadline (head arrived, connection closed) leaves the queue at once. Kept until
     * it would have fired, each task held its session, and through it HttpCore5's handler with 24 KiB of buffers,
     * for the whole header-timeout; at a few thousand new connections per second that ran a 256 MiB heap out of
     * memory (bench/run.sh, "new connection per request"; found and first fixed on the perf branch).
     */
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "header-timeout");
        t.setDaemon(true);
        return t;
    });
    /** Connections by local and remote address (all an exchange handler can see of its connection). */
    private final Map<String, Connection> byAddress = new ConcurrentHashMap<>();
    /** Sessions that chose HTTP/2 before their connected event (see http2Started). */
    private final java.util.Set<String> http2Sessions = ConcurrentHashMap.newKeySet();
    /** The same by session id: session events come with the session, and at disconnect the addresses are gone. */
    private final Map<String, Connection> byId = new ConcurrentHashMap<>();

    /** One client connection: how many exchanges are between head and end, and the armed deadline if any. */
    private final class Connection {
        final IOSession session;
        final String key;
        /** HTTP/2: input is frames, not heads (see http2Started). Set on the connection's I/O thread. */
        volatile boolean multiplexed;
        /** Heads received minus exchanges ended; pipelined requests can make it 2 or more for a moment. */
        int inFlight;
        ScheduledFuture<?> deadline;

        Connection(IOSession session, String key) {
            this.session = session;
            this.key = key;
        }

        synchronized void arm(boolean firstHead) {
            if (deadline != null || inFlight > 0) {
                return;
            }
            deadline = timer.schedule(() -> expire(firstHead), timeout.toMilliseconds(), TimeUnit.MILLISECONDS);
        }

        private void expire(boolean firstHead) {
            synchronized (this) {
                if (deadline == null || inFlight > 0) {
                    return; // the head came in the meantime
                }
                deadline = null;
            }
            LOG.info("closing connection from {}: no complete {} request head within limits.header-timeout ({})",
                    session.getRemoteAddress(), firstHead ? "first" : "next", timeout);
            session.close(CloseMode.IMMEDIATE);
        }

        synchronized void headReceived() {
            inFlight++;
            cancel();
        }

        synchronized void exchangeEnded() {
            inFlight = Math.max(0, inFlight - 1);
        }

        /** Bytes arrived: with no exchange in progress they start the next head, and its clock. */
        void inputReady() {
            arm(false);
        }

        synchronized void cancel() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }
    }

    public HeadDeadline(Timeout timeout) {
        this.timeout = timeout;
        timer.setRemoveOnCancelPolicy(true);
    }

    /** A reload: limits.header-timeout for deadlines armed from now on. */
    public void timeout(Timeout next) {
        this.timeout = next;
    }

    void connected(IOSession session) {
        Connection c = new Connection(session, key(session.getLocalAddress(), session.getRemoteAddress()));
        c.multiplexed = http2Sessions.remove(session.getId());
        byAddress.put(c.key, c);
        byId.put(session.getId(), c);
        c.arm(true);
    }

    /** A read event on a connection (ConnectionGate passes every one on). */
    void inputReady(IOSession session) {
        Connection c = byId.get(session.getId());
        if (c != null && !c.multiplexed) {
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
            c.multiplexed = true;
        } else {
            // On a TLS listener the protocol is chosen when the handshake ends, before the session's
            // connected event reaches the listeners: remembered until connected().
            http2Sessions.add(session.getId());
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
            byAddress.remove(c.key, c);
            c.cancel();
        }
    }

    private Connection connection(HttpContext context) {
        EndpointDetails endpoint = HttpCoreContext.cast(context).getEndpointDetails();
        return endpoint == null ? null : byAddress.get(key(endpoint.getLocalAddress(), endpoint.getRemoteAddress()));
    }

    private static String key(SocketAddress local, SocketAddress remote) {
        return local + "|" + remote;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

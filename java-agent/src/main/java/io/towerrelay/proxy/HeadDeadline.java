package io.towerrelay.proxy;

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
 * limits.header-timeout: a new connection must deliver a complete first request head within this time, or it is
 * closed. The socket timeout alone does not stop slowloris (a client that trickles one header byte every few
 * seconds keeps resetting it). Later requests on a kept-alive connection are bounded by client-idle-timeout only.
 */
final class HeadDeadline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeadDeadline.class);

    private final Timeout timeout;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "header-timeout");
        t.setDaemon(true);
        return t;
    });
    /**
     * The pending deadline per connection, cancelled (and, with remove-on-cancel, dropped from the timer's queue)
     * once the head arrives or the connection closes: an uncancelled task kept its session, and through it
     * HttpCore5's handler with 24 KiB of buffers, for the whole header-timeout. At a few thousand new connections
     * per second that ran a 256 MiB heap out of memory (bench/run.sh, "new connection per request").
     */
    private final Map<String, ScheduledFuture<?>> deadlines = new ConcurrentHashMap<>();
    /** Connections still waiting for their first head, by local and remote address (all a handler can see). */
    private final Map<String, IOSession> waiting = new ConcurrentHashMap<>();
    /** The same key by session id: at disconnect the addresses are gone. */
    private final Map<String, String> keys = new ConcurrentHashMap<>();

    HeadDeadline(Timeout timeout) {
        this.timeout = timeout;
        timer.setRemoveOnCancelPolicy(true);
    }

    void connected(IOSession session) {
        String key = key(session.getLocalAddress(), session.getRemoteAddress());
        waiting.put(key, session);
        keys.put(session.getId(), key);
        deadlines.put(key, timer.schedule(() -> {
            deadlines.remove(key);
            if (waiting.remove(key, session)) {
                keys.remove(session.getId());
                LOG.info("closing connection from {}: no complete request head within limits.header-timeout ({})",
                        session.getRemoteAddress(), timeout);
                session.close(CloseMode.IMMEDIATE);
            }
        }, timeout.toMilliseconds(), TimeUnit.MILLISECONDS));
    }

    /** A request head arrived on the connection of {@code context}: its deadline is met. */
    void headReceived(HttpContext context) {
        EndpointDetails endpoint = HttpCoreContext.cast(context).getEndpointDetails();
        if (endpoint != null) {
            String key = key(endpoint.getLocalAddress(), endpoint.getRemoteAddress());
            waiting.remove(key);
            cancel(key);
        }
    }

    void disconnected(IOSession session) {
        String key = keys.remove(session.getId());
        if (key != null) {
            waiting.remove(key, session);
            cancel(key);
        }
    }

    private void cancel(String key) {
        ScheduledFuture<?> deadline = deadlines.remove(key);
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    private static String key(SocketAddress local, SocketAddress remote) {
        return local + "|" + remote;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

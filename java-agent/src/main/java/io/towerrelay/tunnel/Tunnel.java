package io.towerrelay.tunnel;

import io.towerrelay.logging.BackgroundLog;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.time.Duration;
import java.util.function.Consumer;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.ssl.SSLIOSession;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open WebSocket tunnel: two sessions, one {@link Pipe} each way, no frame parsing.
 *
 * <p>Closing, as TCP does it: a side that sends end of stream stops being read; what it sent is flushed to the
 * other side, whose output is then shut (half-close), while bytes the other way keep flowing. Once both
 * directions have ended, both sessions are closed. A side that is gone (reset, idle timeout, shutdown) ends
 * its direction the same way; what was waiting for it is dropped. The listener hears {@code closed} once
 * both sessions are gone.
 */
final class Tunnel {

    private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);

    private final TunnelInfo info;
    private final TunnelListener listener;
    private final Consumer<Tunnel> onFinished;
    private final Pipe clientToUpstream;
    private final Pipe upstreamToClient;
    private final TunnelEnd clientEnd;
    private final TunnelEnd upstreamEnd;
    /** Lets the replaced HTTP/1.1 handler go; run once, on the client's I/O thread, then dropped. */
    private Runnable releaseExchange;
    private final long openedNanos = System.nanoTime();
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile Timeout idleTimeout = Timeout.INFINITE;
    private boolean clientGone;
    private boolean upstreamGone;
    private String closedBy;

    Tunnel(TunnelInfo info, TunnelListener listener, PipeBuffers pool, Consumer<Tunnel> onFinished,
           IOSession client, IOSession upstream, Runnable releaseExchange) {
        this.info = info;
        this.releaseExchange = releaseExchange;
        this.listener = listener;
        this.onFinished = onFinished;
        this.clientToUpstream = new Pipe(pool);
        this.upstreamToClient = new Pipe(pool);
        clientToUpstream.connect(client, upstream);
        upstreamToClient.connect(upstream, client);
        this.clientEnd = new TunnelEnd(this, "client", client, clientToUpstream, upstreamToClient);
        this.upstreamEnd = new TunnelEnd(this, "upstream", upstream, upstreamToClient, clientToUpstream);
        clientEnd.peer(upstreamEnd);
        upstreamEnd.peer(clientEnd);
    }

    TunnelInfo info() {
        return info;
    }

    TunnelEnd clientEnd() {
        return clientEnd;
    }

    /**
     * Runs on the upstream's I/O thread once it answered 101. The upstream session is switched here (its own
     * thread); the client session's handler is swapped and its thread woken with {@code OP_WRITE}, so that
     * the client's own thread writes the 101 head and everything after it.
     */
    void start(ByteBuffer headAndEarlyBytes, IOSession clientTransport, ProtocolIOSession clientChannel,
               IOSession upstreamSession, Timeout idleTimeout) {
        this.idleTimeout = idleTimeout;
        // A client session that is not its TCP transport has a layer between them: TLS.
        if (clientTransport != clientEnd.session() || clientTransport instanceof SSLIOSession
                || (clientTransport instanceof TransportSecurityLayer layer && layer.getTlsDetails() != null)
                || (clientChannel != null && clientChannel.getTlsDetails() != null)) {
            clientEnd.underTls();
        }
        upstreamToClient.preload(headAndEarlyBytes);
        listener.opened(info);
        // DEBUG: the close line (and the access log) says all of it; an INFO line per open was a synchronous
        // stderr write on the upstream's I/O thread for every socket a Tower UI opens.
        if (LOG.isDebugEnabled()) {
            BackgroundLog.submit(() -> LOG.debug("tunnel {} opened: {} <-> {} {}", info.id(), info.peer(), info.upstream(),
                    info.path()));
        }
        upstreamSession.upgrade(upstreamEnd);
        upstreamSession.setSocketTimeout(idleTimeout);
        upstreamSession.setEventMask(SelectionKey.OP_READ);
        IOSession client = clientEnd.session();
        // Upgrading the channel (when known) replaces its reference to the HTTP handler too, not only the
        // session's: see HttpHandlerOwner.
        (clientChannel != null ? clientChannel : client).upgrade(clientEnd);
        clientTransport.setSocketTimeout(idleTimeout);
        upstreamToClient.armWriter();
        client.setEvent(SelectionKey.OP_READ);
        if (!client.isOpen()) {
            // Closed while the upstream was answering: its disconnect may have gone to the HTTP handler.
            clientSessionClosed();
        }
    }

    /** The client session is known to be closed (its HTTP handler was told): end that side if not done yet. */
    void clientSessionClosed() {
        ended(clientEnd);
    }

    /** Once per side, from that side's thread, when its session is closed. */
    void ended(TunnelEnd end) {
        boolean finished;
        synchronized (this) {
            if (end == clientEnd) {
                if (clientGone) {
                    return;
                }
                clientGone = true;
            } else {
                if (upstreamGone) {
                    return;
                }
                upstreamGone = true;
            }
            if (closedBy == null) {
                closedBy = end.name();
            }
            finished = clientGone && upstreamGone;
        }
        end.inbound().endOfInput();
        end.outbound().abandon();
        closeWhenBothDirectionsEnded();
        if (end == clientEnd) {
            releaseExchange();
        }
        if (finished) {
            finish();
        }
    }

    /**
     * Client thread, on the tunnel's first event there (or when the client side ends first): the HTTP/1.1 handler
     * that served the handshake can no longer be in an event of its own, so it is told the exchange is over and
     * dropped. Holding it for the tunnel's life cost its session buffers per idle tunnel.
     */
    void releaseExchange() {
        Runnable release;
        synchronized (this) {
            release = releaseExchange;
            releaseExchange = null;
        }
        if (release == null) {
            return;
        }
        try {
            release.run();
        } catch (RuntimeException ex) {
            LOG.debug("tunnel {}: releasing the HTTP exchange failed: {}", info.id(), ex.toString());
        }
    }

    void touch() {
        lastActivityNanos = System.nanoTime();
    }

    /**
     * Whether the tunnel has really been idle for its idle timeout. A session timeout can come early: under a
     * TLS listener without the session decorator, the timeout that fires is the listener's, not the tunnel's.
     */
    boolean idleExpired() {
        return idleTimeout.isEnabled()
                && System.nanoTime() - lastActivityNanos >= idleTimeout.toNanoseconds() - 50_000_000L;
    }

    /** A sink has been given everything its peer sent before ending. */
    void delivered() {
        closeWhenBothDirectionsEnded();
    }

    private void closeWhenBothDirectionsEnded() {
        if (clientToUpstream.finished() && upstreamToClient.finished()) {
            clientEnd.session().close();
            upstreamEnd.session().close();
        }
    }

    /** The first cause wins: an idle timeout or shutdown is reported as such, not as "client". */
    synchronized void cause(String cause) {
        if (closedBy == null) {
            closedBy = cause;
        }
    }

    private void finish() {
        TunnelStats stats = new TunnelStats(Duration.ofNanos(System.nanoTime() - openedNanos),
                clientToUpstream.transferred(), upstreamToClient.transferred(), closedBy);
        // Written by the log thread: this runs on an I/O thread (see BackgroundLog).
        BackgroundLog.submit(() -> LOG.info(
                "tunnel {} closed: {} <-> {} {} after {} ms, {} bytes from client, {} bytes to client, ended by {}",
                info.id(), info.peer(), info.upstream(), info.path(), stats.duration().toMillis(),
                stats.bytesFromClient(), stats.bytesToClient(), stats.closedBy()));
        try {
            listener.closed(info, stats);
        } finally {
            onFinished.accept(this);
        }
    }

    /** Closes both sides now (relay shutdown). Each close is picked up by that side's thread. */
    void close() {
        cause("shutdown");
        clientEnd.session().close();
        upstreamEnd.session().close();
    }
}

package io.towerrelay.upstream;

import io.towerrelay.reactor.SharedReactor;
import org.apache.hc.core5.http.ConnectionClosedException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.AsyncPushConsumer;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.nio.command.ShutdownCommand;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.Command;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.util.Timeout;

/**
 * One upstream keep-alive connection: the relay's HTTP/1.1 client ({@link UpstreamHttp1Handler}) on a session of
 * the shared reactor; its pool hears when the session ends. Runs on the I/O thread of the worker that opened it.
 */
final class Connection implements SharedReactor.OutgoingSession {
    private final HttpHost host;
    private final WorkerPool pool;
    private final UpstreamClient client;
    private final WorkerPool.Waiter openedFor;
    private final boolean plain;
    private IOSession session;
    private UpstreamHttp1Handler http;
    /** TLS (when any) is up and the connection was handed to its pool. */
    private boolean ready;
    private boolean ended;
    private Exception failure;

    Connection(HttpHost host, WorkerPool pool, UpstreamClient client,
            WorkerPool.Waiter openedFor, boolean plain) {
        this.host = host;
        this.plain = plain;
        this.pool = pool;
        this.client = client;
        this.openedFor = openedFor;
    }

    HttpHost host() {
        return host;
    }

    @Override
    public boolean plainHttp1() {
        return plain;
    }

    @Override
    public IOEventHandler createHandler(ProtocolIOSession protocolSession) {
        this.session = protocolSession;
        this.http = new UpstreamHttp1Handler(protocolSession, this::sessionEnded);
        return http;
    }

    /** The session is connected and, for https, TLS is up. */
    void ready() {
        ready = true;
        pool.connected(this, openedFor);
    }

    /**
     * The connection never came up (refused, timed out, TLS failed; after a TLS failure the session is being
     * closed): the waiter it was opened for hears of it now, once.
     */
    void failed(Exception cause) {
        if (!ready && failure == null) {
            failure = cause;
            pool.connectFailed(host, openedFor, cause);
        }
    }

    boolean isOpen() {
        IOSession s = session;
        return s != null && !ended && s.getStatus() == IOSession.Status.ACTIVE;
    }

    void execute(AsyncClientExchangeHandler handler, HandlerFactory<AsyncPushConsumer> pushHandlerFactory,
            HttpContext context) {
        // A reload's upstream.response-timeout holds for the next request on a connection opened before it too.
        Timeout responseTimeout = client.responseTimeout();
        if (!responseTimeout.equals(session.getSocketTimeout())) {
            session.setSocketTimeout(responseTimeout);
        }
        http.execute(handler, context);
    }

    void close(CloseMode mode) {
        IOSession s = session;
        if (s != null) {
            s.close(mode);
        }
    }

    /**
     * Closes an idle connection from another worker's thread: a shutdown command wakes this connection's worker,
     * whose HTTP/1.1 handler then closes it there.
     */
    void closeFromAnotherThread() {
        IOSession s = session;
        if (s != null) {
            s.enqueue(ShutdownCommand.GRACEFUL, Command.Priority.IMMEDIATE);
        }
    }

    private void sessionEnded(Exception cause) {
        if (ended) {
            return;
        }
        ended = true;
        if (!ready && failure == null) {
            failure = cause != null ? cause : new ConnectionClosedException("upstream closed the connection while it was being set up");
            pool.connectFailed(host, openedFor, failure);
        }
        pool.disconnected(this);
        client.slotFreed(pool);
    }
}

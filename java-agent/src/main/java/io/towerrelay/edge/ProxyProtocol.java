package io.towerrelay.edge;

import io.towerrelay.common.ClientEndpoint;
import io.towerrelay.config.ForwardedConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.hc.core5.function.Decorator;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code listen.proxy-protocol}: every accepted connection must open with a PROXY protocol header (v1 or v2) from a
 * peer in {@code forwarded.trusted-proxies}, within {@code limits.header-timeout}; anything else is closed with one
 * log line, before HttpCore5's HTTP parser or TLS layer has seen a byte.
 *
 * <p>The seam is HttpCore5's session decorator. It wraps the TCP session when the connection is accepted and, on a
 * TLS listener, the TLS session put on top of it; both share one {@link Connection}. Until the header is complete
 * the wrapped session's handler (HTTP/1.1, or the TLS layer that would read the ClientHello) gets no input event:
 * {@link ProxyProtocolSession} reads the header from the TCP session itself, never a byte past it (see
 * {@link ProxyHeaderParser#wanted()}), then passes the event on, so whatever followed the header is read from the
 * socket by its usual reader.
 *
 * <p>The addresses the header carried are kept by the connection's TCP addresses (what HttpCore5's EndpointDetails
 * holds) and put on each request's context ({@link #attachClient}); code that reports the client reads them with
 * {@link ClientEndpoint#of}. {@link #awaitHeader} lets the connection gate count and limit a connection only once
 * its client is known.
 */
public final class ProxyProtocol implements Decorator<IOSession>, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyProtocol.class);

    /** forwarded.trusted-proxies and limits.header-timeout; a reload changes them for connections accepted from then on. */
    private volatile ForwardedConfig trusted;
    private volatile Timeout timeout;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "proxy-protocol-timeout");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Connection> byId = new ConcurrentHashMap<>();
    private final Map<Key, Connection> byAddress = new ConcurrentHashMap<>();

    private record Key(SocketAddress local, SocketAddress remote) {
    }

    public ProxyProtocol(ForwardedConfig trusted, Timeout headerTimeout) {
        this.trusted = trusted;
        this.timeout = headerTimeout;
        timer.setRemoveOnCancelPolicy(true);
    }

    /** A reload: who may send the header, and how long it may take, for connections accepted from now on. */
    public void reconfigure(ForwardedConfig nextTrusted, Timeout nextHeaderTimeout) {
        this.trusted = nextTrusted;
        this.timeout = nextHeaderTimeout;
    }

    /**
     * Wraps a session. The first call for a connection (its TCP session, at accept) checks the peer and starts the
     * header's clock; a later call for the same connection (the TLS layer) shares its state.
     */
    @Override
    public IOSession decorate(IOSession session) {
        Connection known = byId.get(session.getId());
        if (known != null) {
            return new ProxyProtocolSession(session, known);
        }
        Connection c = new Connection(session);
        byId.put(session.getId(), c);
        if (c.peer == null || !trusted.isTrusted(c.peer.getAddress())) {
            // Not closed here: HttpCore5 is still setting the session up, and a session closed under it makes its
            // set-up throw in the reactor loop, which ends that I/O thread. The first event closes it (on a TLS
            // listener a silent peer is closed by the deadline).
            c.refuse("PROXY protocol is on and this peer is not in forwarded.trusted-proxies", false);
        }
        c.deadline = timer.schedule(c::expire, timeout.toMilliseconds(), TimeUnit.MILLISECONDS);
        return new ProxyProtocolSession(session, c);
    }

    /**
     * Runs {@code then} once the header of {@code session}'s connection is in, on its I/O thread before any request
     * byte is read, and returns true; false (and {@code then} is not run) when the header is already in. A refused
     * connection never runs it.
     */
    public boolean awaitHeader(IOSession session, Runnable then) {
        Connection c = byId.get(session.getId());
        return c != null && c.await(then);
    }

    /** The client's address for log lines about {@code session}: the header's source, else the TCP peer. */
    public SocketAddress describe(IOSession session) {
        Connection c = byId.get(session.getId());
        return c != null && c.client != null ? c.client.remote() : session.getRemoteAddress();
    }

    /** Puts the connection's client endpoint on a request's context (see {@link ClientEndpoint#of}). */
    public void attachClient(HttpContext context) {
        EndpointDetails details = HttpCoreContext.cast(context).getEndpointDetails();
        if (details == null) {
            return;
        }
        Connection c = byAddress.get(new Key(details.getLocalAddress(), details.getRemoteAddress()));
        if (c != null && c.client != null) {
            ClientEndpoint.attach(context, c.client);
        }
    }

    /** The connection is gone: forget it (the connection gate passes every disconnect on). */
    public void disconnected(IOSession session) {
        Connection c = byId.remove(session.getId());
        if (c != null) {
            c.cancelDeadline();
            if (c.key != null) {
                byAddress.remove(c.key, c);
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** One accepted connection: its TCP session, the header parsed so far, and what waits for it. */
    final class Connection {
        final IOSession transport;
        final InetSocketAddress peer;
        final Key key;
        /** Dropped with its buffer (up to 2 KiB for v2) once the header is in. */
        private ProxyHeaderParser parser = new ProxyHeaderParser();
        private ByteBuffer scratch;
        private volatile boolean done;
        private volatile boolean refused;
        private ScheduledFuture<?> deadline;
        private Runnable onHeader;
        /** Set once the header carried addresses; read by request threads. */
        volatile ClientEndpoint client;

        Connection(IOSession transport) {
            this.transport = transport;
            this.peer = transport.getRemoteAddress() instanceof InetSocketAddress inet ? inet : null;
            SocketAddress local = transport.getLocalAddress();
            this.key = local == null || peer == null ? null : new Key(local, peer);
        }

        boolean done() {
            return done;
        }

        boolean refused() {
            return refused;
        }

        synchronized boolean await(Runnable then) {
            if (done) {
                return false;
            }
            onHeader = then;
            return true;
        }

        /**
         * Reads what is there of the header from the TCP session. True once it is complete and valid (the caller
         * then passes the event on); false while incomplete or when the connection was refused.
         */
        boolean readHeader() {
            if (done) {
                return true;
            }
            if (refused) {
                return false;
            }
            if (scratch == null) {
                scratch = ByteBuffer.allocate(256);
            }
            try {
                while (!parser.complete()) {
                    scratch.clear().limit(Math.min(scratch.capacity(), parser.wanted()));
                    int n = transport.read(scratch);
                    if (n == 0) {
                        return false;
                    }
                    if (n < 0) {
                        refuseAndClose(parser.consumed() == 0 ? "closed before sending a PROXY protocol header"
                                : "closed inside the PROXY protocol header", parser.consumed() == 0);
                        return false;
                    }
                    scratch.flip();
                    parser.feed(scratch);
                }
            } catch (ProxyHeaderParser.MalformedHeaderException e) {
                refuseAndClose(e.getMessage(), false);
                return false;
            } catch (IOException e) {
                refuseAndClose("read failed inside the PROXY protocol header: " + e.getMessage(), true);
                return false;
            }
            ProxyHeader header = parser.header();
            parser = null;
            scratch = null;
            accept(header);
            return true;
        }

        private void accept(ProxyHeader header) {
            Runnable then;
            synchronized (this) {
                if (refused) {
                    return;
                }
                cancelDeadline();
                if (header.carriesAddresses()) {
                    client = new ClientEndpoint(header.source(), header.destination());
                    if (key != null) {
                        byAddress.put(key, this);
                    }
                }
                done = true;
                then = onHeader;
                onHeader = null;
            }
            LOG.debug("PROXY v{} header from {}: client {}", header.version(), peer,
                    header.carriesAddresses() ? header.source() : "(the balancer itself)");
            if (then != null) {
                then.run();
            }
        }

        private void expire() {
            synchronized (this) {
                if (done) {
                    return;
                }
                if (refused) {
                    transport.close(CloseMode.IMMEDIATE); // refused at accept and silent since
                    return;
                }
            }
            refuseAndClose("no complete PROXY protocol header within limits.header-timeout (" + timeout + ")", false);
        }

        private void refuseAndClose(String reason, boolean quiet) {
            if (refuse(reason, quiet)) {
                transport.close(CloseMode.IMMEDIATE);
            }
        }

        /**
         * Marks the connection refused and logs one line, once; {@code quiet} (a balancer's bare TCP health check)
         * logs at debug. True when this call refused it: the caller closes it.
         */
        boolean refuse(String reason, boolean quiet) {
            synchronized (this) {
                if (done || refused) {
                    return false;
                }
                refused = true;
                onHeader = null;
            }
            if (quiet) {
                LOG.debug("closing connection from {}: {}", peer, reason);
            } else {
                LOG.warn("closing connection from {}: {}", peer, reason);
            }
            return true;
        }

        synchronized void cancelDeadline() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }
    }
}

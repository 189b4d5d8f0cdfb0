package io.towerrelay.tunnel;

import io.towerrelay.reactor.SessionLifecycleListener;
import io.towerrelay.reactor.SharedReactor;
import io.towerrelay.upstream.Nodes;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hc.core5.function.Decorator;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.io.ModalCloseable;
import org.apache.hc.core5.reactor.IOSession;

/**
 * WebSocket tunnelling for the relay. Wiring, done by the proxy core:
 * <ol>
 *   <li>{@link #sessionListener()} among the {@link SharedReactor}'s listeners for accepted sessions, so that a
 *       handshake can find its client connection, and on a TLS listener {@link #sessionDecorator()} among its
 *       decorators for accepted sessions, so that the tunnel reaches the TCP session under TLS (its idle timeout,
 *       and the HTTP handler it replaces; a TLS connection it cannot find is answered 500);</li>
 *   <li>for a request where {@link #isWebSocketUpgrade} holds, hand the exchange to
 *       {@link #newHandshakeHandler()} with the request already transformed for the upstream;</li>
 *   <li>{@link #start(SharedReactor)} before serving, {@link #close(CloseMode)} after the server stopped.</li>
 * </ol>
 * Each tunnel gets its own upstream connection (never pooled: it becomes a byte pipe), to the node with the fewest
 * open tunnels; a handshake whose connection to a node fails is tried once on another node.
 */
public final class WebSocketTunnels implements ModalCloseable {

    /** Replaced by a reload; each handshake reads it once. */
    private volatile TunnelSettings settings;
    private final Nodes nodes;
    private final TunnelListener listener;
    private final SessionRegistry registry = new SessionRegistry();
    private final PipeBuffers pool = PipeBuffers.shared();
    private final Set<Tunnel> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private volatile SharedReactor reactor;

    /** Handshakes go to the node {@link Nodes#forTunnel} chooses: the available one with the fewest tunnels. */
    public WebSocketTunnels(TunnelSettings settings, Nodes nodes, TunnelListener listener) {
        this.settings = settings;
        this.nodes = nodes;
        this.listener = listener == null ? TunnelListener.NONE : listener;
    }

    /**
     * Opens upstream connections on {@code reactor}, the one the client connections are served by: each tunnel's
     * upstream session is opened on its client connection's I/O thread.
     */
    public synchronized void start(SharedReactor sharedReactor) {
        this.reactor = sharedReactor;
    }

    /** The server's session listener: lets a handshake handler find the session of its client connection. */
    public SessionLifecycleListener sessionListener() {
        return registry;
    }

    /** A TLS listener's session decorator: records the TCP session under the TLS layer; decorates nothing. */
    public Decorator<IOSession> sessionDecorator() {
        return registry;
    }

    /**
     * True for an HTTP/1.1 WebSocket upgrade: {@code Connection} lists {@code upgrade} among its
     * comma-separated tokens (Firefox: {@code keep-alive, Upgrade}) and {@code Upgrade} lists
     * {@code websocket}, in any case. {@code h2c} and other upgrades are not (they are proxied as plain
     * requests with {@code Upgrade} stripped).
     */
    public static boolean isWebSocketUpgrade(HttpRequest request) {
        return UpgradeHeaders.isWebSocketUpgrade(request);
    }

    /**
     * A handler for one upgrade exchange. Give it the request as it goes upstream (hop-by-hop headers
     * stripped, {@code Host} kept, {@code X-Forwarded-*} set); it adds {@code Upgrade}/{@code Connection}.
     * After a tunnel, HttpCore5 never finishes this exchange itself: the tunnel does when it closes
     * ({@code failed(ConnectionClosedException)} then {@code releaseResources()} on the handler chain).
     */
    public AsyncServerExchangeHandler newHandshakeHandler() {
        if (reactor == null) {
            throw new IllegalStateException("WebSocketTunnels not started");
        }
        return new HandshakeExchange(this);
    }

    /** Tunnels open right now. */
    public int openTunnels() {
        return open.size();
    }

    @Override
    public void close(CloseMode closeMode) {
        for (Tunnel tunnel : open) {
            tunnel.close();
        }
    }

    @Override
    public void close() {
        close(CloseMode.GRACEFUL);
    }

    /** A reload: origins, blocked paths and timeouts for handshakes from now on; open tunnels keep theirs. */
    public void settings(TunnelSettings next) {
        this.settings = next;
    }

    TunnelSettings settings() {
        return settings;
    }

    Nodes nodes() {
        return nodes;
    }

    TunnelListener listener() {
        return listener;
    }

    SessionRegistry registry() {
        return registry;
    }

    PipeBuffers pool() {
        return pool;
    }

    SharedReactor reactor() {
        return reactor;
    }

    String nextId() {
        return Long.toString(ids.incrementAndGet(), 36);
    }

    void opened(Tunnel tunnel) {
        open.add(tunnel);
    }

    void finished(Tunnel tunnel) {
        open.remove(tunnel);
    }
}

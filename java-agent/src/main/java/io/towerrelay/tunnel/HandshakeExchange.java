package io.towerrelay.tunnel;

import io.towerrelay.common.ClientEndpoint;
import io.towerrelay.logging.BackgroundLog;
import io.towerrelay.reactor.SharedReactor;
import io.towerrelay.upstream.Node;
import io.towerrelay.upstream.UpstreamFailure;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLParameters;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.EndpointDetails;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ProtocolVersion;
import org.apache.hc.core5.http.impl.BasicEntityDetails;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.nio.AsyncDataProducer;
import org.apache.hc.core5.http.nio.AsyncEntityProducer;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.nio.entity.AsyncEntityProducers;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOSession;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.ssl.SSLBufferMode;
import org.apache.hc.core5.reactor.ssl.SSLIOSession;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles one WebSocket upgrade exchange on the client connection: checks it, opens a fresh upstream session,
 * and ends in exactly one of: our own refusal (400/403/502/504), the upstream's non-101 answer relayed as a
 * normal response (the client connection stays HTTP), or a {@link Tunnel}.
 */
final class HandshakeExchange implements AsyncServerExchangeHandler {

    private static final Logger LOG = LoggerFactory.getLogger(HandshakeExchange.class);

    private enum Phase { NEW, CONNECTING, ANSWERED, TUNNELLED, ABORTED }

    /**
     * The handler an upstream session has between its creation and the connect callback, which (on the same
     * thread, before any I/O event) replaces it with the {@link UpstreamHandshake} or closes the session.
     */
    private static final SharedReactor.OutgoingSession NOT_YET = session -> new IOEventHandler() {
        @Override
        public void connected(IOSession s) {
        }

        @Override
        public void inputReady(IOSession s, ByteBuffer src) {
        }

        @Override
        public void outputReady(IOSession s) {
        }

        @Override
        public void timeout(IOSession s, org.apache.hc.core5.util.Timeout timeout) {
            s.close(CloseMode.IMMEDIATE);
        }

        @Override
        public void exception(IOSession s, Exception cause) {
            s.close(CloseMode.IMMEDIATE);
        }

        @Override
        public void disconnected(IOSession s) {
        }
    };

    private final WebSocketTunnels owner;
    private final TunnelSettings settings;
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.NEW);
    private volatile ResponseChannel responseChannel;
    private volatile HttpContext context;
    private volatile TunnelInfo info;
    private volatile SessionRegistry.ClientSession client;
    private volatile IOSession upstream;
    /** The node this handshake (and then its tunnel) counts against; released once by {@link #leaveNode()}. */
    private Node node;
    /** The handshake or its tunnel is over: {@link #node} no longer counts it. Guarded by {@code this}. */
    private boolean nodeLeft;
    /** A connection to a node already failed and the handshake went to another one. */
    private volatile boolean retried;
    private volatile AsyncDataProducer body;
    private volatile Tunnel tunnel;
    /** The tunnel has let the HTTP handler go: its failed(ConnectionClosedException) is not the client leaving. */
    private volatile boolean released;

    HandshakeExchange(WebSocketTunnels owner) {
        this.owner = owner;
        this.settings = owner.settings();
    }

    @Override
    public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel channel,
                              HttpContext httpContext) throws HttpException, IOException {
        this.responseChannel = channel;
        this.context = httpContext;
        HttpCoreContext coreContext = HttpCoreContext.cast(httpContext);
        EndpointDetails endpoint = coreContext.getEndpointDetails();
        InetSocketAddress peer = ClientEndpoint.of(httpContext).remote(); // behind a PROXY-protocol balancer: its client
        String path = request.getRequestUri();
        this.info = new TunnelInfo(owner.nextId(), peer == null ? "?" : String.valueOf(peer), "-", path, Instant.now());
        ProtocolVersion version = coreContext.getProtocolVersion();
        if (version != null && version.getMajor() != 1) {
            refuse(400, "WebSocket upgrades need HTTP/1.1");
            return;
        }
        // The JDK's client sends "Content-Length: 0"; any actual body would be lost in the tunnel.
        if (entityDetails != null && entityDetails.getContentLength() != 0) {
            refuse(400, "a WebSocket handshake carries no body");
            return;
        }
        if (settings.pathBlocked(path)) {
            refuse(403, "this path is not open to WebSockets at the edge");
            return;
        }
        Header origin = request.getFirstHeader("Origin");
        if (!settings.originAllowed(origin == null ? null : origin.getValue())) {
            refuse(403, "Origin " + (origin == null ? "(none)" : origin.getValue()) + " is not allowed");
            return;
        }
        client = owner.registry().lookup(endpoint);
        if (client == null) {
            refuse(500, "WebSocket tunnelling is not wired to this listener");
            LOG.error("tunnel {}: no session for {}: is WebSocketTunnels.sessionListener() set on the server?",
                    info.id(), endpoint);
            return;
        }
        ByteBuffer head = MessageHeads.requestHead(request);
        Node chosen = owner.nodes().forTunnel(null);
        if (chosen == null) {
            refuse(502, owner.nodes().noneAvailable());
            return;
        }
        phase.set(Phase.CONNECTING);
        synchronized (this) {
            node = chosen;
            chosen.tunnelStarted();
        }
        connect(chosen, head);
    }

    /** Opens a connection to {@code target} for the handshake; a failure to connect is tried once on another node. */
    private void connect(Node target, ByteBuffer head) {
        TunnelInfo current = info;
        info = new TunnelInfo(current.id(), current.peer(), target.name(), current.path(), current.started());
        HttpHost host = new HttpHost("http", target.host().getHostName(), target.host().getPort());
        owner.reactor().connect(host, null, settings.connectTimeout(), NOT_YET, new FutureCallback<>() {
            @Override
            public void completed(IOSession session) {
                upstreamConnected(session, head);
            }

            @Override
            public void failed(Exception ex) {
                String why = UpstreamFailure.describe(ex, target);
                target.requestFailed();
                target.unreachable(why);
                Node other = retried || phase.get() != Phase.CONNECTING ? null : owner.nodes().forTunnel(target);
                if (other != null && moveTo(other)) {
                    retried = true;
                    target.retried();
                    BackgroundLog.submit(() -> LOG.info("tunnel {}: upstream {} failed ({}), trying {}", info.id(),
                            target.name(), why, other.name()));
                    connect(other, head.rewind());
                } else if (ex instanceof SocketTimeoutException) {
                    upstreamFailed(504, "upstream " + target.name() + " did not accept the connection within "
                            + settings.connectTimeout());
                } else if (ex instanceof ConnectException) {
                    upstreamFailed(502, "upstream " + target.name() + " refused the connection");
                } else {
                    upstreamFailed(502, "upstream " + target.name() + " unreachable: " + ex);
                }
            }

            @Override
            public void cancelled() {
                upstreamFailed(502, "upstream connection cancelled");
            }
        });
    }

    /** The handshake or its tunnel is over: the node has one tunnel fewer (once). */
    private void leaveNode() {
        Node left;
        synchronized (this) {
            if (nodeLeft || node == null) {
                return;
            }
            nodeLeft = true;
            left = node;
        }
        left.tunnelEnded();
    }

    /** The handshake goes to {@code next} instead; false when it is over already (the client left). */
    private boolean moveTo(Node next) {
        Node previous;
        synchronized (this) {
            if (nodeLeft) {
                return false;
            }
            previous = node;
            node = next;
            next.tunnelStarted();
        }
        previous.tunnelEnded();
        return true;
    }

    /** Upstream I/O thread, before its {@code connected} event: take the session over. */
    private void upstreamConnected(IOSession session, ByteBuffer head) {
        if (phase.get() != Phase.CONNECTING) {
            session.close(CloseMode.IMMEDIATE);
            return;
        }
        upstream = session;
        UpstreamHandshake handshake = new UpstreamHandshake(this, session, head, settings.handshakeTimeout());
        session.upgrade(handshake);
        Node target;
        synchronized (this) {
            target = node;
        }
        if (target.secure()) {
            // The connection comes without TLS; the handshake starts once TLS is up.
            HttpHost endpoint = new HttpHost("https", target.host().getHostName(), target.host().getPort());
            ((ProtocolIOSession) session).startTls(settings.upstreamSslContext(), endpoint, SSLBufferMode.STATIC,
                    (named, engine) -> {
                        SSLParameters parameters = engine.getSSLParameters();
                        parameters.setEndpointIdentificationAlgorithm("HTTPS");
                        engine.setSSLParameters(parameters);
                    }, null, settings.handshakeTimeout(), new FutureCallback<TransportSecurityLayer>() {
                        @Override
                        public void completed(TransportSecurityLayer result) {
                            try {
                                handshake.begin();
                            } catch (IOException ex) {
                                upstreamFailed(502, "upstream failed during the WebSocket handshake: " + ex);
                                session.close(CloseMode.IMMEDIATE);
                            }
                        }

                        @Override
                        public void failed(Exception ex) {
                            upstreamFailed(502, "TLS to upstream failed: " + ex.getMessage());
                        }

                        @Override
                        public void cancelled() {
                            upstreamFailed(502, "TLS to upstream cancelled");
                        }
                    });
        }
    }

    /** Upstream failed before answering: our own 502/504. */
    void upstreamFailed(int status, String reason) {
        refuse(status, reason);
    }

    private void refuse(int status, String reason) {
        if (!answer()) {
            return;
        }
        leaveNode();
        TunnelInfo refused = info;
        BackgroundLog.submit(() -> LOG.info("tunnel {} refused: {} -> {} {}: {} {}", refused.id(), refused.peer(),
                refused.upstream(), refused.path(), status, reason));
        owner.listener().refused(info, status, reason);
        AsyncEntityProducer entity = AsyncEntityProducers.create(reason + "\n", ContentType.TEXT_PLAIN);
        body = entity;
        send(new BasicHttpResponse(status), entity);
    }

    /** The upstream answered, but not 101. Its answer goes back as a normal response. */
    void relay(HttpResponse upstreamHead, long length, RelayedBody relayed) {
        if (!answer()) {
            return;
        }
        leaveNode();
        int status = upstreamHead.getCode();
        TunnelInfo refused = info;
        BackgroundLog.submit(() -> LOG.info("tunnel {} refused by upstream: {} -> {} {}: {}", refused.id(), refused.peer(),
                refused.upstream(), refused.path(), status));
        owner.listener().refused(info, status, "upstream answered " + status + " to the WebSocket handshake");
        body = relayed;
        Header contentType = upstreamHead.getFirstHeader("Content-Type");
        EntityDetails details = relayed == null ? null : new BasicEntityDetails(length,
                contentType == null ? null : ContentType.parseLenient(contentType.getValue()));
        send(MessageHeads.relayedHead(upstreamHead), details);
    }

    /**
     * The upstream answered 101 with {@code Upgrade: websocket}.
     *
     * @param afterHead bytes that arrived behind the 101 head (read mode); they go to the client first thing
     * @return false when the client is gone meanwhile
     */
    boolean tunnel(HttpResponse upstreamHead, ByteBuffer afterHead) {
        if (!phase.compareAndSet(Phase.CONNECTING, Phase.TUNNELLED)) {
            return false;
        }
        ByteBuffer head = MessageHeads.switchingHead(upstreamHead);
        ByteBuffer first = ByteBuffer.allocate(head.remaining() + afterHead.remaining());
        first.put(head).put(afterHead).flip();
        IOSession transport = client.transport();
        // The HTTP/1.1 handler being replaced (HttpCore5's duplexer with its session buffers). The tunnel lets it
        // go as soon as it owns the client session: told of a disconnect, it ends this exchange (and whatever
        // wraps it) and nothing refers to it any more, so an idle tunnel does not keep ~24 KiB of HTTP state
        // alive for hours. The tunnel's own access-log line and metrics come at its close.
        // Without the session decorator a TLS listener gives only the TLS layer, whose handler is TLS's own: it
        // passes disconnected() on to the session's current handler, which by then is the tunnel itself.
        IOEventHandler httpHandler = transport instanceof SSLIOSession ? null : transport.getHandler();
        Tunnel tunnel = new Tunnel(info, owner.listener(), owner.pool(), t -> {
                    owner.finished(t);
                    leaveNode();
                }, client.protocol(), upstream,
                () -> {
                    released = true;
                    if (httpHandler != null && !(httpHandler instanceof TunnelEnd)) {
                        httpHandler.disconnected(transport);
                    }
                });
        this.tunnel = tunnel;
        owner.opened(tunnel);
        tunnel.start(first, transport, HttpHandlerOwner.of(httpHandler), upstream, settings.idleTimeout());
        // The tunnel holds this exchange for its node accounting until it ends: let go of the HTTP/1.1 state
        // (the response channel reaches the stream duplexer and its session buffers, ~30 KiB per idle tunnel).
        // Nothing answers on it any more: the phase is TUNNELLED.
        responseChannel = null;
        context = null;
        return true;
    }

    private boolean answer() {
        for (;;) {
            Phase current = phase.get();
            if (current == Phase.ANSWERED || current == Phase.TUNNELLED || current == Phase.ABORTED) {
                return false;
            }
            if (phase.compareAndSet(current, Phase.ANSWERED)) {
                return true;
            }
        }
    }

    private void send(HttpResponse response, EntityDetails details) {
        try {
            responseChannel.sendResponse(response, details, context);
        } catch (HttpException | IOException ex) {
            LOG.debug("tunnel {}: could not answer the client: {}", info.id(), ex.toString());
            abort();
        }
    }

    private void abort() {
        IOSession session = upstream;
        if (session != null && phase.get() != Phase.TUNNELLED) {
            session.close(CloseMode.IMMEDIATE);
        }
    }

    @Override
    public void failed(Exception cause) {
        // The client connection failed or closed before an answer; after a tunnel this is its normal end.
        if (released) {
            return;
        }
        Tunnel open = tunnel;
        if (open != null) {
            open.clientSessionClosed(); // no-op unless the client closed while the tunnel was being switched in
            return;
        }
        if (phase.compareAndSet(Phase.CONNECTING, Phase.ABORTED) || phase.compareAndSet(Phase.NEW, Phase.ABORTED)) {
            leaveNode();
            TunnelInfo abandoned = info;
            String upstreamName = abandoned == null ? "-" : abandoned.upstream();
            BackgroundLog.submit(() -> LOG.info("tunnel {} abandoned by client: {} -> {} {}: {}",
                    abandoned == null ? "?" : abandoned.id(), abandoned == null ? "?" : abandoned.peer(), upstreamName,
                    abandoned == null ? "" : abandoned.path(), cause.toString()));
            if (info != null) {
                owner.listener().refused(info, 499, "client went away during the handshake");
            }
        }
        abort();
    }

    @Override
    public void releaseResources() {
        if (phase.compareAndSet(Phase.CONNECTING, Phase.ABORTED)) {
            leaveNode();
            abort();
        }
        AsyncDataProducer producer = body;
        if (producer != null) {
            producer.releaseResources();
        }
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
        capacityChannel.update(Integer.MAX_VALUE);
    }

    @Override
    public void consume(ByteBuffer src) {
        src.position(src.limit());
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) {
    }

    @Override
    public int available() {
        AsyncDataProducer producer = body;
        return producer == null ? 0 : producer.available();
    }

    @Override
    public void produce(DataStreamChannel channel) throws IOException {
        AsyncDataProducer producer = body;
        if (producer != null) {
            producer.produce(channel);
        }
    }
}

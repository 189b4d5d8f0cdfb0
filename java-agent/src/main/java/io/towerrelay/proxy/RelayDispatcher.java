package io.towerrelay.proxy;

import io.towerrelay.edge.HeadDeadline;
import io.towerrelay.edge.Refusal;
import io.towerrelay.edge.RequestScreen;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.protocol.HttpContext;
import io.towerrelay.edge.ProxyProtocol;
import io.towerrelay.tunnel.WebSocketTunnels;

/**
 * The handler HttpCore5 creates per request. It looks at the request head once and hands the request and every
 * later callback to the handler for that kind of request: a {@link Refusal}, a WebSocket handshake (tunnel), or
 * plain proxying.
 */
final class RelayDispatcher implements AsyncServerExchangeHandler {
    private final ProxyServices services;
    private final RequestScreen screen;
    private final HeadDeadline headDeadline;
    private final WebSocketTunnels tunnels;
    /** Null when the listener does not speak the PROXY protocol. */
    private final ProxyProtocol proxyProtocol;
    private volatile AsyncServerExchangeHandler delegate;
    /** The exchange's response channel, knowing whether a response was started. */
    private volatile BodyFramingAnswer response;
    private volatile HttpContext context;
    /** Set when the head arrived; cleared when the exchange ends, so the deadline hears of the end once. */
    private final AtomicReference<HttpContext> headContext = new AtomicReference<>();

    RelayDispatcher(ProxyServices services, RequestScreen screen, WebSocketTunnels tunnels, HeadDeadline headDeadline,
            ProxyProtocol proxyProtocol) {
        this.headDeadline = headDeadline;
        this.proxyProtocol = proxyProtocol;
        this.services = services;
        this.screen = screen;
        this.tunnels = tunnels;
    }

    @Override
    public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel channel,
            HttpContext context) throws HttpException, IOException {
        BodyFramingAnswer responseChannel = new BodyFramingAnswer(channel);
        this.response = responseChannel;
        this.context = context;
        headDeadline.headReceived(context);
        if (proxyProtocol != null) {
            proxyProtocol.attachClient(context); // X-Forwarded-*, the access log and the tunnel name this client
        }
        boolean upgrade = WebSocketTunnels.isWebSocketUpgrade(request);
        if (!upgrade) {
            // Not for upgrades: the tunnel ends the HTTP exchange when it takes the connection over, and from then
            // on the connection's input is WebSocket frames, never a head. (A refused handshake leaves its
            // connection without a header deadline for later requests; client-idle-timeout still applies.)
            headContext.set(context);
        }
        Optional<Refusal> refusal = screen.check(request, context);
        if (refusal.isPresent()) {
            delegate = new FixedResponseHandler(services, refusal.get());
            delegate.handleRequest(request, entityDetails, responseChannel, context);
            return;
        }
        HttpRequest outgoing = services.requests().create(request, context);
        if (upgrade) {
            // Same upstream head as plain proxying (Upgrade/Connection stripped); the tunnel adds them back.
            delegate = tunnels.newHandshakeHandler();
            delegate.handleRequest(outgoing, entityDetails, responseChannel, context);
            return;
        }
        // Any other upgrade (h2c ...) is proxied as plain HTTP: Upgrade is hop-by-hop and already stripped.
        ProxyExchange exchange = new ProxyExchange(services);
        delegate = exchange;
        exchange.handleRequest(request, outgoing, entityDetails, responseChannel, context);
    }

    @Override
    public void updateCapacity(CapacityChannel capacityChannel) throws IOException {
        delegate.updateCapacity(capacityChannel);
    }

    @Override
    public void consume(ByteBuffer src) throws IOException {
        delegate.consume(src);
    }

    @Override
    public void streamEnd(List<? extends Header> trailers) throws HttpException, IOException {
        delegate.streamEnd(trailers);
    }

    @Override
    public int available() {
        AsyncServerExchangeHandler d = delegate;
        return d == null ? 0 : d.available();
    }

    @Override
    public void produce(DataStreamChannel channel) throws IOException {
        delegate.produce(channel);
    }

    @Override
    public void failed(Exception cause) {
        BodyFramingAnswer r = response;
        AsyncServerExchangeHandler d = delegate;
        // Before the delegate lets go of the exchange; HttpCore5 closes the connection right after.
        if (r != null && BodyFramingAnswer.isBodyFramingError(cause) && r.answer(context)
                && d instanceof ProxyExchange exchange) {
            exchange.answeredMalformedBody(cause);
        }
        if (d != null) {
            d.failed(cause);
        }
    }

    @Override
    public void releaseResources() {
        AsyncServerExchangeHandler d = delegate;
        if (d != null) {
            d.releaseResources();
        }
        HttpContext context = headContext.getAndSet(null);
        if (context != null) {
            headDeadline.exchangeEnded(context); // a next head on this connection has header-timeout from its first byte
        }
    }
}

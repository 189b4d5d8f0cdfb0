package io.towerrelay.proxy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.nio.DataStreamChannel;
import org.apache.hc.core5.http.nio.ResponseChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * The handler HttpCore5 creates per request. It looks at the request head once and hands the request and every
 * later callback to the handler for that kind of request: a {@link Refusal}, a WebSocket handshake (tunnel), or
 * plain proxying.
 */
final class RelayDispatcher implements AsyncServerExchangeHandler {
    private final ProxyServices services;
    private final RequestScreen screen;
    private volatile AsyncServerExchangeHandler delegate;

    RelayDispatcher(ProxyServices services, RequestScreen screen) {
        this.services = services;
        this.screen = screen;
    }

    @Override
    public void handleRequest(HttpRequest request, EntityDetails entityDetails, ResponseChannel responseChannel,
            HttpContext context) throws HttpException, IOException {
        Optional<Refusal> refusal = screen.check(request);
        if (refusal.isPresent()) {
            delegate = new FixedResponseHandler(services, refusal.get());
            delegate.handleRequest(request, entityDetails, responseChannel, context);
            return;
        }
        if (isWebSocketUpgrade(request)) {
            // The tunnel (package io.towerrelay.tunnel) is not wired into this build yet.
            delegate = new FixedResponseHandler(services, new Refusal(501,
                    "WebSocket tunnelling is not available in this build of tower-relay", true));
            delegate.handleRequest(request, entityDetails, responseChannel, context);
            return;
        }
        ProxyExchange exchange = new ProxyExchange(services);
        delegate = exchange;
        exchange.handleRequest(request, entityDetails, responseChannel, context);
    }

    /** Connection tokens include "upgrade" and Upgrade names websocket (any case), as the design defines it. */
    private static boolean isWebSocketUpgrade(HttpRequest request) {
        Set<String> connection = HopByHopHeaders.connectionTokens(request);
        return connection.contains("upgrade") && HopByHopHeaders.tokens(request, "Upgrade").contains("websocket");
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
        AsyncServerExchangeHandler d = delegate;
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
    }
}

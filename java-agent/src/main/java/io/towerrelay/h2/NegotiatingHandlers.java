package io.towerrelay.h2;

import io.towerrelay.server.ServerHttp1Handlers;
import org.apache.hc.core5.function.Callback;
import org.apache.hc.core5.http.config.CharCodingConfig;
import org.apache.hc.core5.http.nio.AsyncServerExchangeHandler;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.http2.impl.nio.HttpProtocolNegotiator;
import org.apache.hc.core5.http2.impl.nio.ServerH2StreamMultiplexerFactory;
import org.apache.hc.core5.http2.ssl.ApplicationProtocol;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOEventHandlerFactory;
import org.apache.hc.core5.reactor.IOSession;
import java.util.function.Consumer;
import org.apache.hc.core5.reactor.ProtocolIOSession;

/**
 * The handler of each accepted client connection on a TLS listener that offers HTTP/2: TLS starts with ALPN
 * offering {@code h2} and {@code http/1.1} (the strategy's job), and once the handshake is done HttpCore5's
 * {@link HttpProtocolNegotiator} switches the session to the protocol the client chose, as
 * {@code ServerHttpProtocolNegotiationStarter} (what {@code H2ServerBootstrap} uses) does. HTTP/1.1 gets the same
 * handler the HTTP/1.1-only listener uses ({@link ServerHttp1Handlers}), so its WebSocket tunnel is unchanged; {@code h2} gets
 * {@link ScreenedH2Connection}: HttpCore5's multiplexer behind the relay's frame screen. A client without ALPN gets
 * HTTP/1.1. There is no h2c: a plain listener keeps the HTTP/1.1 factory, and {@code Upgrade: h2c} is dropped as a
 * hop-by-hop header.
 */
public final class NegotiatingHandlers implements IOEventHandlerFactory {
    private final ServerHttp1Handlers http1;
    private final ServerH2StreamMultiplexerFactory h2;
    private final H2Limits limits;
    private final TlsStrategy tls;
    private final Callback<Exception> exceptions;
    private final Consumer<IOSession> http2Started;

    /**
     * @param tls the listener's TLS; it must offer {@code h2} by ALPN (else every client negotiates HTTP/1.1)
     * @param http2Started told of each session that starts speaking HTTP/2 (on its I/O thread)
     */
    public NegotiatingHandlers(ServerHttp1Handlers http1, ServerH2StreamMultiplexerFactory h2,
            H2Limits limits, TlsStrategy tls, Callback<Exception> exceptions, Consumer<IOSession> http2Started) {
        this.http2Started = http2Started;
        this.http1 = http1;
        this.h2 = h2;
        this.limits = limits;
        this.tls = tls;
        this.exceptions = exceptions;
    }

    /**
     * @param exchanges makes the exchange handler of each request, for both protocols (HTTP/2 streams get the same
     *                  handlers as HTTP/1.1 requests)
     */
    public static NegotiatingHandlers create(ServerHttp1Handlers http1,
            HandlerFactory<AsyncServerExchangeHandler> exchanges, H2Limits limits, TlsStrategy tls,
            Callback<Exception> exceptions, Consumer<IOSession> http2Started) {
        return new NegotiatingHandlers(http1, new ServerH2StreamMultiplexerFactory(H2Messages.serverProcessor(),
                H2ResponseTrailers.of(exchanges), limits.config(), CharCodingConfig.DEFAULT, null), limits, tls,
                exceptions, http2Started);
    }

    @Override
    public IOEventHandler createHandler(ProtocolIOSession session, Object attachment) {
        if (tls == null) {
            return http1.createHandler(session, attachment);
        }
        tls.upgrade(session, null, attachment, null, null);
        session.registerProtocol(ApplicationProtocol.HTTP_1_1.id, http1.upgradeHandler());
        session.registerProtocol(ApplicationProtocol.HTTP_2.id, (ioSession, callback) -> {
            http2Started.accept(ioSession);
            ScreenedH2Connection connection = new ScreenedH2Connection(ioSession, h2, limits, exceptions);
            ioSession.upgrade(connection);
            connection.connected(ioSession);
            if (callback != null) {
                callback.completed(ioSession);
            }
        });
        return new HttpProtocolNegotiator(session, null);
    }
}

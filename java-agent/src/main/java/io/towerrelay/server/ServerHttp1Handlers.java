package io.towerrelay.server;

import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.URIScheme;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.reactor.IOEventHandler;
import org.apache.hc.core5.reactor.IOEventHandlerFactory;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.ProtocolUpgradeHandler;

/**
 * Makes the {@link ServerHttp1Handler} of each accepted client connection: at once on a plain listener; on a TLS
 * listener after TLS was started on the session (the handler gets its first event once the handshake is done).
 * {@link #upgradeHandler()} switches a session to it when ALPN chose {@code http/1.1} on a listener that offers
 * HTTP/2 too.
 */
public final class ServerHttp1Handlers implements IOEventHandlerFactory {
    private final ServerHttp1Settings settings;
    private final TlsStrategy tls;

    /** @param tls the listener's TLS, or null for a plain listener */
    public ServerHttp1Handlers(ServerHttp1Settings settings, TlsStrategy tls) {
        this.settings = settings;
        this.tls = tls;
    }

    @Override
    public IOEventHandler createHandler(ProtocolIOSession session, Object attachment) {
        if (tls == null) {
            return new ServerHttp1Handler(session, settings, URIScheme.HTTP.id);
        }
        tls.upgrade(session, null, attachment, null, null);
        return new ServerHttp1Handler(session, settings, URIScheme.HTTPS.id);
    }

    /** For a session whose TLS handshake is done and chose HTTP/1.1: its handler from now on. */
    public ProtocolUpgradeHandler upgradeHandler() {
        return (ProtocolIOSession session, FutureCallback<ProtocolIOSession> callback) -> {
            ServerHttp1Handler handler = new ServerHttp1Handler(session, settings,
                    session.getTlsDetails() != null ? URIScheme.HTTPS.id : URIScheme.HTTP.id);
            session.upgrade(handler);
            handler.connected(session);
            if (callback != null) {
                callback.completed(session);
            }
        };
    }
}

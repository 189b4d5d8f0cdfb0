package io.towerrelay.tls;

import java.net.SocketAddress;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.Timeout;

/**
 * Starts TLS on an accepted connection with the listener's settings, worked out once per certificate: protocols,
 * cipher suites ({@link TlsContexts#strongSuites}) and ALPN, taken from a server engine of the context and given to
 * each new engine in one call.
 *
 * <p>Why not HttpCore5's {@code BasicServerTlsStrategy}: it wraps every initializer in its own weak-suite filter,
 * which runs two regular expressions over every suite the engine enables, on each new connection (about 3 % of a
 * full handshake's CPU in a profile), to drop suites the relay's own, stricter list never has.
 */
final class ServerTlsStrategy implements TlsStrategy {
    private final SSLContext context;
    /** Read-only after construction: the engine copies what it takes from it. */
    private final SSLParameters parameters;

    /** @param applicationProtocols offered by ALPN, most preferred first; empty: none (the client gets HTTP/1.1) */
    ServerTlsStrategy(SSLContext context, List<String> applicationProtocols) {
        this.context = context;
        SSLEngine template = context.createSSLEngine();
        template.setUseClientMode(false);
        SSLParameters p = template.getSSLParameters();
        p.setProtocols(TlsContexts.PROTOCOLS.clone());
        p.setCipherSuites(TlsContexts.strongSuites(p.getCipherSuites()));
        if (!applicationProtocols.isEmpty()) {
            p.setApplicationProtocols(applicationProtocols.toArray(String[]::new));
        }
        this.parameters = p;
    }

    @Override
    public void upgrade(TransportSecurityLayer tlsSession, NamedEndpoint endpoint, Object attachment,
            Timeout handshakeTimeout, FutureCallback<TransportSecurityLayer> callback) {
        tlsSession.startTls(context, endpoint, null, (e, engine) -> engine.setSSLParameters(parameters), null,
                handshakeTimeout, callback);
    }

    @Deprecated
    @Override
    public boolean upgrade(TransportSecurityLayer tlsSession, HttpHost host, SocketAddress localAddress,
            SocketAddress remoteAddress, Object attachment, Timeout handshakeTimeout) {
        upgrade(tlsSession, host, attachment, handshakeTimeout, null);
        return true;
    }
}

package io.towerrelay.tls;

import java.net.SocketAddress;
import javax.net.ssl.SSLException;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.Timeout;

/**
 * The TLS strategy of a requester that never starts TLS itself: a plain-HTTP upstream, or the tunnels' requester
 * (a wss upstream gets TLS from the tunnel's own {@code startTls}). Without one, HttpCore5's requester bootstrap
 * builds a default strategy, and with it the JDK's default SSLContext (TLS provider, trust store): start-up work
 * for something never used.
 */
public final class PlainUpstreamTls implements TlsStrategy {

    public static final PlainUpstreamTls INSTANCE = new PlainUpstreamTls();

    private PlainUpstreamTls() {
    }

    @Deprecated
    @Override
    public boolean upgrade(TransportSecurityLayer session, HttpHost host, SocketAddress localAddress,
                           SocketAddress remoteAddress, Object attachment, Timeout handshakeTimeout) {
        return false;
    }

    @Override
    public void upgrade(TransportSecurityLayer session, NamedEndpoint endpoint, Object attachment, Timeout handshakeTimeout,
                        FutureCallback<TransportSecurityLayer> callback) {
        if (callback != null) {
            callback.failed(new SSLException("no TLS configured for " + endpoint));
        }
    }
}

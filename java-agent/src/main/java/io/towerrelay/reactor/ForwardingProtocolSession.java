package io.towerrelay.reactor;

import javax.net.ssl.SSLContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ProtocolIOSession;
import org.apache.hc.core5.reactor.ProtocolUpgradeHandler;
import org.apache.hc.core5.reactor.ssl.SSLBufferMode;
import org.apache.hc.core5.reactor.ssl.SSLSessionInitializer;
import org.apache.hc.core5.reactor.ssl.SSLSessionVerifier;
import org.apache.hc.core5.reactor.ssl.TlsDetails;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.Timeout;

/**
 * A {@link ForwardingSession} for a {@link ProtocolIOSession}: TLS and protocol switching pass through to the
 * session underneath, so a subclass overrides only the I/O it changes.
 */
public abstract class ForwardingProtocolSession extends ForwardingSession implements ProtocolIOSession {
    protected final ProtocolIOSession protocol;

    protected ForwardingProtocolSession(ProtocolIOSession session) {
        super(session);
        this.protocol = session;
    }

    @Override
    public NamedEndpoint getInitialEndpoint() {
        return protocol.getInitialEndpoint();
    }

    @Override
    public void switchProtocol(String protocolId, FutureCallback<ProtocolIOSession> callback) {
        protocol.switchProtocol(protocolId, callback);
    }

    @Override
    public void registerProtocol(String protocolId, ProtocolUpgradeHandler upgradeHandler) {
        protocol.registerProtocol(protocolId, upgradeHandler);
    }

    @Override
    public void startTls(SSLContext sslContext, NamedEndpoint endpoint, SSLBufferMode sslBufferMode,
            SSLSessionInitializer initializer, SSLSessionVerifier verifier, Timeout handshakeTimeout) {
        protocol.startTls(sslContext, endpoint, sslBufferMode, initializer, verifier, handshakeTimeout);
    }

    @Override
    public void startTls(SSLContext sslContext, NamedEndpoint endpoint, SSLBufferMode sslBufferMode,
            SSLSessionInitializer initializer, SSLSessionVerifier verifier, Timeout handshakeTimeout,
            FutureCallback<TransportSecurityLayer> callback) {
        protocol.startTls(sslContext, endpoint, sslBufferMode, initializer, verifier, handshakeTimeout, callback);
    }

    @Override
    public TlsDetails getTlsDetails() {
        return protocol.getTlsDetails();
    }
}

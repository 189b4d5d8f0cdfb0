package io.towerrelay.tls;

import io.towerrelay.config.TlsFiles;
import java.net.SocketAddress;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.net.NamedEndpoint;
import org.apache.hc.core5.reactor.ssl.TransportSecurityLayer;
import org.apache.hc.core5.util.Timeout;

/**
 * The listener's TLS, re-readable from its PEM files while the relay runs (SIGHUP after a certificate renewal).
 * Each new handshake uses the strategy current at that moment; established sessions keep the engine, and so the
 * certificate, they were made with, so nothing open is dropped.
 */
public final class ReloadableServerTls implements TlsStrategy {
    private volatile TlsFiles files;
    private final List<String> applicationProtocols;
    private volatile TlsStrategy current;

    public ReloadableServerTls(TlsFiles files) {
        this(files, List.of());
    }

    /** @param applicationProtocols offered by ALPN, most preferred first ({@code h2}, {@code http/1.1}); empty: none */
    public ReloadableServerTls(TlsFiles files, List<String> applicationProtocols) {
        this.files = files;
        this.applicationProtocols = List.copyOf(applicationProtocols);
        this.current = load(files).strategy();
    }

    /**
     * Reads the PEM files again and serves them from the next handshake on; returns the new leaf certificate.
     * Throws {@link io.towerrelay.common.UserError} (naming the file) and keeps the old certificate when they are unusable.
     */
    public synchronized X509Certificate reload() {
        return reload(files);
    }

    /** As {@link #reload()}, from {@code next} (a reloaded config may name other files); kept only when usable. */
    public synchronized X509Certificate reload(TlsFiles next) {
        Loaded loaded = load(next);
        current = loaded.strategy();
        files = next;
        return loaded.leaf();
    }

    public TlsFiles files() {
        return files;
    }

    private record Loaded(X509Certificate leaf, TlsStrategy strategy) {}

    private Loaded load(TlsFiles files) {
        List<X509Certificate> chain = PemFiles.certificates(files.certificate());
        PrivateKey key = PemFiles.privateKey(files.key());
        return new Loaded(chain.get(0), TlsContexts.serverStrategy(TlsContexts.server(files, chain, key), applicationProtocols));
    }

    @Override
    public void upgrade(TransportSecurityLayer tlsSession, NamedEndpoint endpoint, Object attachment,
            Timeout handshakeTimeout, FutureCallback<TransportSecurityLayer> callback) {
        current.upgrade(tlsSession, endpoint, attachment, handshakeTimeout, callback);
    }

    @Deprecated
    @Override
    public boolean upgrade(TransportSecurityLayer tlsSession, HttpHost host, SocketAddress localAddress,
            SocketAddress remoteAddress, Object attachment, Timeout handshakeTimeout) {
        return current.upgrade(tlsSession, host, localAddress, remoteAddress, attachment, handshakeTimeout);
    }
}

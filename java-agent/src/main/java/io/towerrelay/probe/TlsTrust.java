package io.towerrelay.probe;

import io.towerrelay.tls.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Builds the SSLContext the probe uses for https:// and wss://, from the system trust store, a CA file, or none. */
final class TlsTrust {

    private TlsTrust() {
    }

    static SSLContext context(ProbeOptions options) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            if (options.insecure()) {
                return trustingEverything();
            } else if (options.caFile() != null) {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(keyStoreOf(options.caFile()));
                context.init(null, tmf.getTrustManagers(), null);
            } else {
                context.init(null, null, null);
            }
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** A context that accepts any certificate: for --insecure, and to learn whether a port speaks TLS at all. */
    static SSLContext trustingEverything() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new TrustEverything()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /** Every certificate of a PEM file as trust anchors; an unreadable or empty file is a {@code UserError} naming it. */
    static KeyStore keyStoreOf(Path caFile) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (X509Certificate cert : PemFiles.certificates(caFile)) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a trust store: " + e.getMessage(), e);
        }
    }

    /** --insecure: the admin asked to look past the certificate to test the rest. */
    private static final class TrustEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

package io.towerrelay.probe;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
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
                context.init(null, new TrustManager[] {new TrustEverything()}, null);
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

    /**
     * Reads every certificate of a PEM (or DER) file into a trust store.
     *
     * @throws IllegalArgumentException when the file is unreadable or holds no certificate
     */
    static KeyStore keyStoreOf(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(caFile + ": no certificate in the file (expected PEM)");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : certs) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            return store;
        } catch (IOException e) {
            throw new IllegalArgumentException(caFile + ": cannot read: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(caFile + ": not a PEM certificate: " + e.getMessage(), e);
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

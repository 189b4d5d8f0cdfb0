package io.towerrelay.tls;

import io.towerrelay.common.UserError;
import io.towerrelay.config.TlsFiles;
import io.towerrelay.config.UpstreamConfig;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.hc.core5.http.nio.ssl.BasicClientTlsStrategy;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;

/** TLS for both sides: the listener from PEM files, the upstream verified unless the user turned that off. */
public final class TlsContexts {
    /** Only TLS 1.3 and 1.2: older versions are broken and browsers no longer speak them. */
    public static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private TlsContexts() {}

    public static SSLContext server(TlsFiles files) {
        return server(files, PemFiles.certificates(files.certificate()), PemFiles.privateKey(files.key()));
    }

    /** The listener's context from a chain and key already read from {@code files} (named in errors). */
    static SSLContext server(TlsFiles files, List<X509Certificate> chain, PrivateKey key) {
        requireMatchingKey(files, chain.get(0), key);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            char[] password = new char[0];
            store.setKeyEntry("relay", key, password, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new UserError("listen.tls: " + files.key() + " does not match " + files.certificate() + " or cannot be used: " + e.getMessage());
        }
    }

    /**
     * The key store takes any key with any certificate; a mismatch would only show as failed handshakes. Checked
     * by signing with the key and verifying with the certificate, which works for RSA, EC and Ed25519 alike.
     */
    private static void requireMatchingKey(TlsFiles files, X509Certificate leaf, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return; // an unusual key type: the handshake itself will tell
        }
        boolean matches;
        try {
            byte[] probe = "tower-relay key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new UserError("listen.tls: " + files.key() + " is not the private key of the first certificate in "
                    + files.certificate() + " (" + leaf.getSubjectX500Principal().getName() + ")");
        }
    }

    /**
     * The context for an https upstream: trust the CA file when given, else the system trust store; with
     * verification off, trust anything (the caller logs that). Null for an http upstream.
     */
    public static SSLContext upstream(UpstreamConfig upstream) {
        if (!upstream.https()) {
            return null;
        }
        try {
            TrustManager[] trust;
            if (!upstream.tlsVerify()) {
                trust = new TrustManager[] {new TrustEverything()};
            } else if (upstream.caFile() != null) {
                KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                int i = 0;
                for (X509Certificate ca : PemFiles.certificates(upstream.caFile())) {
                    store.setCertificateEntry("ca" + i++, ca);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(store);
                trust = tmf.getTrustManagers();
            } else {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init((KeyStore) null);
                trust = tmf.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust, null);
            return context;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new UserError("upstream TLS cannot be set up: " + e.getMessage());
        }
    }

    public static TlsStrategy serverStrategy(SSLContext context) {
        return serverStrategy(context, List.of());
    }

    /**
     * As {@link #serverStrategy(SSLContext)}, offering {@code applicationProtocols} by ALPN in order of preference
     * (empty: no ALPN, the client gets HTTP/1.1). The suites left by {@link #strongSuites} are all allowed by HTTP/2
     * (RFC 9113 appendix A lists only non-AEAD and non-forward-secret suites), so h2 needs no other filter.
     */
    public static TlsStrategy serverStrategy(SSLContext context, List<String> applicationProtocols) {
        return new ServerTlsStrategy(context, applicationProtocols);
    }

    /**
     * The listener's cipher suites: TLS 1.3's, and at TLS 1.2 only forward-secret (ECDHE, DHE) AEAD suites (AES-GCM,
     * ChaCha20-Poly1305), as Mozilla's "intermediate" profile has it. The JDK's defaults also enable CBC suites
     * (ECDHE-RSA-AES128-SHA and the like), which testssl.sh reports as obsolete; every TLS 1.2 client of the last
     * ten years has a GCM suite. Filtered from what the JDK enables, so its disabledAlgorithms still apply.
     */
    static String[] strongSuites(String[] enabled) {
        return java.util.Arrays.stream(enabled).filter(TlsContexts::strong).toArray(String[]::new);
    }

    private static boolean strong(String suite) {
        boolean tls13 = suite.startsWith("TLS_AES_") || suite.startsWith("TLS_CHACHA20_");
        boolean forwardSecretAead = (suite.startsWith("TLS_ECDHE_") || suite.startsWith("TLS_DHE_"))
                && (suite.contains("_GCM_") || suite.contains("_CHACHA20_POLY1305_"));
        return tls13 || forwardSecretAead || suite.equals("TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
    }

    /** Checks the upstream's host name against its certificate when {@code verify}; HttpCore5 alone does not. */
    public static TlsStrategy clientStrategy(SSLContext context, boolean verify) {
        return new BasicClientTlsStrategy(context, (endpoint, engine) -> configureClientEngine(engine, verify), null);
    }

    /** The same settings for engines the tunnel creates for wss upstreams. */
    public static void configureClientEngine(SSLEngine engine, boolean verify) {
        engine.setEnabledProtocols(PROTOCOLS);
        SSLParameters params = engine.getSSLParameters();
        params.setEndpointIdentificationAlgorithm(verify ? "HTTPS" : null);
        engine.setSSLParameters(params);
    }

    /**
     * Used only when the user set upstream.tls-verify: false, which the relay warns about at start. Extended, so
     * the JDK does not wrap it in a host name check of its own.
     */
    private static final class TrustEverything extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

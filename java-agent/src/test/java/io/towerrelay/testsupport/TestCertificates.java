package io.towerrelay.testsupport;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away CA and a server certificate for {@code localhost} / {@code 127.0.0.1}, made at test time, written
 * as PEM files the relay reads ({@code ca.pem}, {@code cert.pem}, {@code key.pem}) and usable as JDK SSLContexts.
 */
public final class TestCertificates {
    private final X509Certificate ca;
    private final X509Certificate server;
    private final KeyPair serverKeys;
    public final Path caPem;
    public final Path certPem;
    public final Path keyPem;

    private TestCertificates(X509Certificate ca, X509Certificate server, KeyPair serverKeys, Path dir) throws IOException {
        this.ca = ca;
        this.server = server;
        this.serverKeys = serverKeys;
        this.caPem = dir.resolve("ca.pem");
        this.certPem = dir.resolve("cert.pem");
        this.keyPem = dir.resolve("key.pem");
        Files.writeString(caPem, pem(ca));
        Files.writeString(certPem, pem(server) + pem(ca));
        Files.writeString(keyPem, pem(serverKeys.getPrivate()));
    }

    public static TestCertificates create(Path dir) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair caKeys = generator.generateKeyPair();
        X500Name caName = new X500Name("CN=tower-relay test CA");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder caBuilder = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE,
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(2))), caName, caKeys.getPublic());
        caBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        caBuilder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate ca = sign(caBuilder, caKeys);

        KeyPair serverKeys = generator.generateKeyPair();
        JcaX509v3CertificateBuilder serverBuilder = new JcaX509v3CertificateBuilder(caName, BigInteger.TWO,
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(2))),
                new X500Name("CN=localhost"), serverKeys.getPublic());
        serverBuilder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")
        }));
        serverBuilder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        X509Certificate server = sign(serverBuilder, caKeys);
        return new TestCertificates(ca, server, serverKeys, dir);
    }

    /** Trusts only the test CA, like a client given {@code --cacert ca.pem}. */
    public SSLContext clientContext() throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    /** Serves the localhost certificate, for test upstreams (JDK HttpsServer). */
    public SSLContext serverContext() throws GeneralSecurityException, IOException {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("server", serverKeys.getPrivate(), new char[0], new X509Certificate[] {server, ca});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        return context;
    }

    public static InetAddress loopback() {
        return InetAddress.getLoopbackAddress();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder builder, KeyPair signer) throws Exception {
        ContentSigner contentSigner = new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
    }

    private static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object instanceof java.security.PrivateKey key
                    ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null) : object);
        }
        return out.toString();
    }
}

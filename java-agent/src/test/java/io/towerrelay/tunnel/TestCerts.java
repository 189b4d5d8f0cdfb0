package io.towerrelay.tunnel;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A throw-away certificate for 127.0.0.1 and localhost, made at test time. */
final class TestCerts {

    private static final char[] PASSWORD = "test".toCharArray();
    private static TestCerts instance;

    final SSLContext server;
    final SSLContext client;
    /** The same certificate and key as PEM files, for the relay's config. */
    final Path certificatePem;
    final Path keyPem;

    private TestCerts() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=localhost");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))), name, pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        X509Certificate cert = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));

        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("relay", pair.getPrivate(), PASSWORD, new X509Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASSWORD);
        server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("relay", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        Path dir = Files.createTempDirectory("tunnel-certs");
        dir.toFile().deleteOnExit();
        certificatePem = dir.resolve("relay.crt");
        keyPem = dir.resolve("relay.key");
        writePem(certificatePem, cert);
        writePem(keyPem, new JcaPKCS8Generator(pair.getPrivate(), null));
        certificatePem.toFile().deleteOnExit();
        keyPem.toFile().deleteOnExit();
    }

    private static void writePem(Path file, Object object) throws java.io.IOException {
        try (JcaPEMWriter writer = new JcaPEMWriter(Files.newBufferedWriter(file))) {
            writer.writeObject(object);
        }
    }

    static synchronized TestCerts get() throws Exception {
        if (instance == null) {
            instance = new TestCerts();
        }
        return instance;
    }
}

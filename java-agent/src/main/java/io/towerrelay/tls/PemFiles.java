package io.towerrelay.tls;

import io.towerrelay.common.UserError;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads PEM certificates and private keys as OpenSSL, certbot and cert-manager write them. */
public final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+?)-----END \\1-----");

    private PemFiles() {}

    /** Every certificate in the file, leaf first as in the file. */
    public static List<X509Certificate> certificates(Path file) {
        List<X509Certificate> certs = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block block : blocks(file)) {
                if (block.type().equals("CERTIFICATE")) {
                    certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new UserError(file + ": not a valid PEM certificate: " + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw new UserError(file + ": no \"BEGIN CERTIFICATE\" block found (expected a PEM certificate)");
        }
        return certs;
    }

    /** The private key: PKCS#8 ("BEGIN PRIVATE KEY", RSA, EC or Ed25519) or PKCS#1 ("BEGIN RSA PRIVATE KEY"). */
    public static PrivateKey privateKey(Path file) {
        for (Block block : blocks(file)) {
            switch (block.type()) {
                case "PRIVATE KEY":
                    return pkcs8(file, block.der());
                case "RSA PRIVATE KEY":
                    return pkcs8(file, Pkcs1.toPkcs8(block.der()));
                case "ENCRYPTED PRIVATE KEY":
                    throw new UserError(file + ": the key is encrypted; the relay needs it unencrypted (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem) and readable only by its user");
                case "EC PRIVATE KEY":
                    throw new UserError(file + ": SEC1 EC keys are not read; convert with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pem");
                default:
                    break;
            }
        }
        throw new UserError(file + ": no \"BEGIN PRIVATE KEY\" block found (expected a PEM private key)");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) {
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "EdDSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new UserError(file + ": the private key is neither RSA, EC nor Ed25519");
    }

    private record Block(String type, byte[] der) {}

    private static List<Block> blocks(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UserError("cannot read " + file + ": " + e.getMessage());
        }
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new UserError(file + ": damaged PEM block " + m.group(1));
            }
        }
        return blocks;
    }

    /** Wraps a PKCS#1 RSAPrivateKey in the PKCS#8 PrivateKeyInfo structure Java's KeyFactory reads. */
    private static final class Pkcs1 {
        private static final byte[] RSA_ALGORITHM_ID = {
            0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
        };

        static byte[] toPkcs8(byte[] pkcs1) {
            byte[] version = {0x02, 0x01, 0x00};
            byte[] octetString = concat(new byte[] {0x04}, length(pkcs1.length), pkcs1);
            byte[] body = concat(version, RSA_ALGORITHM_ID, octetString);
            return concat(new byte[] {0x30}, length(body.length), body);
        }

        private static byte[] length(int n) {
            if (n < 0x80) {
                return new byte[] {(byte) n};
            }
            if (n < 0x100) {
                return new byte[] {(byte) 0x81, (byte) n};
            }
            if (n < 0x10000) {
                return new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
            }
            return new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
        }

        private static byte[] concat(byte[]... parts) {
            int total = 0;
            for (byte[] p : parts) {
                total += p.length;
            }
            byte[] out = new byte[total];
            int pos = 0;
            for (byte[] p : parts) {
                System.arraycopy(p, 0, out, pos, p.length);
                pos += p.length;
            }
            return out;
        }
    }
}

package io.towerrelay.config;

import java.nio.file.Path;
import java.util.Objects;

/** A PEM certificate chain and its PEM private key (PKCS#8, or PKCS#1 RSA), unencrypted. */
public record TlsFiles(Path certificate, Path key) {
    public TlsFiles {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(key, "key");
    }
}

package io.towerrelay.probe;

/**
 * The TLS session the page was loaded over.
 *
 * @param description protocol, certificate subject and issuer
 * @param verified    false when --insecure skipped certificate and host name verification
 */
public record TlsSession(String description, boolean verified) {
}

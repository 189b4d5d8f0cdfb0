package io.towerrelay.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/** The public listener: where clients connect, and TLS when {@code tls} is set. */
public record ListenConfig(InetSocketAddress address, TlsFiles tls) {
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("0.0.0.0", 8080);

    public ListenConfig {
        Objects.requireNonNull(address, "listen.address");
    }

    public static ListenConfig defaults() {
        return new ListenConfig(DEFAULT_ADDRESS, null);
    }

    public boolean tlsEnabled() {
        return tls != null;
    }

    public ListenConfig withAddress(InetSocketAddress newAddress) {
        return new ListenConfig(newAddress, tls);
    }

    public ListenConfig withTls(TlsFiles newTls) {
        return new ListenConfig(address, newTls);
    }
}

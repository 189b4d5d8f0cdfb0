package io.towerrelay.config;

import java.net.InetSocketAddress;

/** The admin listener ({@code /healthz}, {@code /metrics}); a null address turns it off. Never the public port. */
public record AdminConfig(InetSocketAddress address) {
    public static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress("127.0.0.1", 9180);

    public static AdminConfig defaults() {
        return new AdminConfig(DEFAULT_ADDRESS);
    }

    public static AdminConfig off() {
        return new AdminConfig(null);
    }

    public boolean enabled() {
        return address != null;
    }
}

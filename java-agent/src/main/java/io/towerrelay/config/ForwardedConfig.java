package io.towerrelay.config;

import java.net.InetAddress;
import java.util.List;

/**
 * Which peers are proxies we trust: only their X-Forwarded-* headers are kept (X-Forwarded-For appended to);
 * anyone else's are replaced, so a client cannot forge its address to Tower.
 */
public record ForwardedConfig(List<Cidr> trustedProxies) {
    public ForwardedConfig {
        trustedProxies = List.copyOf(trustedProxies);
    }

    public static ForwardedConfig defaults() {
        return new ForwardedConfig(List.of());
    }

    public boolean isTrusted(InetAddress peer) {
        if (peer == null) {
            return false;
        }
        for (Cidr cidr : trustedProxies) {
            if (cidr.contains(peer)) {
                return true;
            }
        }
        return false;
    }
}

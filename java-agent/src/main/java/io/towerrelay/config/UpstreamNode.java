package io.towerrelay.config;

import java.net.URI;
import java.util.Objects;

/**
 * One Tower web node: its URL (scheme://host:port) and whether it is draining (no new requests or tunnels go
 * to it; open tunnels go on).
 */
public record UpstreamNode(URI url, boolean drain) {
    public UpstreamNode {
        Objects.requireNonNull(url, "url");
        UpstreamConfig.checkUrl(url);
    }

    public static UpstreamNode of(URI url) {
        return new UpstreamNode(url, false);
    }
}

package io.towerrelay.edge;

import java.net.InetSocketAddress;

/**
 * A parsed PROXY protocol header. {@code source} and {@code destination} are the client's connection to the balancer
 * (TCP4 / TCP6, v1 or v2 PROXY command); both are null when the header says to use the real connection's endpoints
 * (v1 {@code UNKNOWN}, v2 {@code LOCAL} — a balancer's own health check — and v2 {@code UNSPEC}, UNIX or UDP).
 * {@code length} is the header's size on the wire.
 */
public record ProxyHeader(int version, InetSocketAddress source, InetSocketAddress destination, int length) {

    public boolean carriesAddresses() {
        return source != null;
    }
}

package io.towerrelay.http;

import io.towerrelay.config.ForwardedConfig;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Iterator;
import java.util.StringJoiner;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.MessageHeaders;

/**
 * Sets X-Forwarded-For / -Proto / -Host / -Port on the upstream-bound request. Values a client sent are kept
 * (X-Forwarded-For appended to) only when the peer is a trusted proxy; from anyone else they are replaced, so a
 * client cannot make Tower log or trust an address it made up.
 */
public final class ForwardedHeaders {
    public static final String FOR = "X-Forwarded-For";
    public static final String PROTO = "X-Forwarded-Proto";
    public static final String HOST = "X-Forwarded-Host";
    public static final String PORT = "X-Forwarded-Port";

    private final ForwardedConfig config;
    /**
     * The last client address written as text, and the text: requests come from few addresses (one load balancer,
     * a handful of users), and formatting the address anew was a string and an array per request. Immutable, so
     * that any I/O thread may read the one another wrote.
     */
    private PeerText lastPeer = new PeerText(null, "unknown");

    private record PeerText(InetAddress address, String text) {
    }

    /** The same for the port the clients connected to: one per listener, so the last one's text is nearly always it. */
    private PortText lastPort = new PortText(-1, "");

    private record PortText(int port, String text) {
    }

    public ForwardedHeaders(ForwardedConfig config) {
        this.config = config;
    }

    /**
     * @param incoming the request as the client sent it
     * @param outgoing the upstream-bound copy (its X-Forwarded-* headers are replaced)
     * @param peer the client's socket address
     * @param local the relay's socket address the client connected to
     * @param scheme {@code http} or {@code https}: how the client reached the relay
     */
    public void apply(MessageHeaders incoming, HttpRequest outgoing, InetSocketAddress peer, InetSocketAddress local,
            String scheme) {
        InetAddress peerAddress = peer == null ? null : peer.getAddress();
        boolean trusted = config.isTrusted(peerAddress);
        String peerIp = peerText(peerAddress);

        String priorFor = trusted ? joined(incoming, FOR) : null;
        replace(outgoing, FOR, priorFor == null ? peerIp : priorFor + ", " + peerIp);

        String proto = trusted ? first(incoming, PROTO) : null;
        replace(outgoing, PROTO, proto != null ? proto : scheme);

        String host = trusted ? first(incoming, HOST) : null;
        if (host == null) {
            Header hostHeader = incoming.getFirstHeader("Host");
            host = hostHeader == null ? null : hostHeader.getValue();
        }
        if (host != null) {
            replace(outgoing, HOST, host);
        } else {
            HeaderRemoval.removeAll(outgoing, HOST);
        }

        String port = trusted ? first(incoming, PORT) : null;
        if (port == null && local != null) {
            port = portText(local.getPort());
        }
        if (port != null) {
            replace(outgoing, PORT, port);
        } else {
            HeaderRemoval.removeAll(outgoing, PORT);
        }
    }

    private String portText(int port) {
        PortText last = lastPort;
        if (last.port() != port) {
            last = new PortText(port, Integer.toString(port));
            lastPort = last;
        }
        return last.text();
    }

    private String peerText(InetAddress address) {
        if (address == null) {
            return "unknown";
        }
        if (!(address instanceof Inet4Address)) {
            return address.getHostAddress(); // IPv6 text may carry a scope that equals() does not compare
        }
        PeerText last = lastPeer;
        if (address.equals(last.address())) {
            return last.text();
        }
        last = new PeerText(address, address.getHostAddress());
        lastPeer = last;
        return last.text();
    }

    /**
     * Every copy of {@code name} goes, then one is added: {@code setHeader} replaces only the first, so a client
     * sending X-Forwarded-For twice had its second copy (any address it liked) passed on to Tower.
     */
    private static void replace(HttpRequest outgoing, String name, String value) {
        HeaderRemoval.removeAll(outgoing, name);
        outgoing.addHeader(name, value);
    }

    /** All values of a possibly repeated list header, joined as one list; null when absent. */
    private static String joined(MessageHeaders message, String name) {
        StringJoiner joiner = new StringJoiner(", ");
        boolean any = false;
        for (Iterator<Header> it = message.headerIterator(name); it.hasNext(); ) {
            String value = it.next().getValue();
            if (value != null && !value.isBlank()) {
                joiner.add(value.trim());
                any = true;
            }
        }
        return any ? joiner.toString() : null;
    }

    private static String first(MessageHeaders message, String name) {
        Header header = message.getFirstHeader(name);
        return header == null || header.getValue() == null || header.getValue().isBlank() ? null : header.getValue().trim();
    }
}
